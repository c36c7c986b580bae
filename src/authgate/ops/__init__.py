"""Operating authgate: checks of a deployment (``authgate doctor``)."""
