"""One module per tab of the page: what each button does (plain functions that app/ui.py wires to components)."""
