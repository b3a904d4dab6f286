"""Start-up on a Hugging Face Space: fetch the weights when online, and SMPL when the owner configured it.

Runs before the app launches (app.py calls `prepare_space()` when env SPACE_ID is set). Nothing here is
fatal: whatever cannot be fetched is reported in the log and shown as unavailable in the Setup tab.

SMPL files are licensed and never committed. The Space owner, having accepted the SMPL licence, can
provide them in one of two ways (Space settings → Variables and secrets):
- HMRC_SMPL_DATASET = "owner/private-dataset" (a private Hugging Face dataset holding SMPL_NEUTRAL.pkl,
  and optionally SMPL_MALE.pkl / SMPL_FEMALE.pkl, at its top level or under smpl/) and the secret
  HF_TOKEN with read access to it; or
- the secret HMRC_WEIGHTS_BASE_URL = a private mirror serving the files by name (core.weights), together
  with HMRC_ACCEPT_SMPL_LICENSE=1 to say the licence was accepted.
HMRC_SKIP_WEIGHTS=1 skips every download (e.g. a Space that bakes the files into its image).
"""

from __future__ import annotations

import logging
import shutil

from core import weights
from core.methods import NETWORK_METHODS
from core.settings import download_settings, space_settings

log = logging.getLogger(__name__)

SMPL_FILES = ("SMPL_NEUTRAL.pkl", "SMPL_MALE.pkl", "SMPL_FEMALE.pkl")


def prepare_space() -> list[str]:
    """Fetch what the Space needs; returns one line per problem (empty when everything is in place)."""
    if space_settings().skip_weights:
        return []
    problems = []
    for method in NETWORK_METHODS:
        try:
            weights.fetch(method)
        except weights.WeightsError as problem:
            problems.append(f"{method}: {problem}")
    problems += fetch_smpl()
    for line in problems:
        log.warning("Space start-up: %s", line)
    return problems


def fetch_smpl() -> list[str]:
    """SMPL files from the owner's private dataset or mirror, when configured; else nothing to do."""
    if weights.smpl_neutral_present():
        return []
    settings = space_settings()
    if settings.smpl_dataset:
        return _from_dataset(settings.smpl_dataset, settings.hf_token)
    if download_settings().weights_base_url and settings.accept_smpl_license:
        problems = []
        for name in SMPL_FILES:
            try:
                weights.fetch([name], accept_smpl_license=True)
            except weights.WeightsError as problem:
                problems.append(f"SMPL from the mirror: {problem}")
        return problems if not weights.smpl_neutral_present() else []  # the gendered files are optional
    return []


def _from_dataset(dataset: str, token: str | None) -> list[str]:
    """Copy SMPL_*.pkl from a private Hugging Face dataset into the body-model folder."""
    from huggingface_hub import hf_hub_download

    problems = []
    for name in SMPL_FILES:
        destination = weights.FILES[name].path
        reasons = []
        for candidate in (name, f"smpl/{name}"):
            try:
                cached = hf_hub_download(dataset, candidate, repo_type="dataset", token=token)
            except Exception as error:  # missing entry, no access, no network: reported, never fatal at start-up
                reasons.append(f"{candidate}: {type(error).__name__}")
                continue
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(cached, destination)
            break
        else:
            problems.append(
                f"{name} not found in the dataset {dataset} or HF_TOKEN cannot read it ({'; '.join(reasons)})"
            )
    return problems if not weights.smpl_neutral_present() else []
