"""From a photo to compared people: detect, crop, estimate (the three networks), fit, and `analyse` over them all."""
