"""Imported at start-up by every Python process whose PYTHONPATH holds this folder (`make fragile`
puts it there): the `rawi` processes the tests start get the same perturbed encoder as the tests."""

import os

if os.environ.get("RAWI_TEST_PERTURB") or os.environ.get("RAWI_TEST_ENCODER_BACKEND"):
    from tests.perturb import install_from_env

    install_from_env()
