"""The pure core of authgate: no web framework, no database driver, no Redis.

It imports only the standard library, PyJWT, pwdlib, cryptography, pydantic
(settings) and email-validator; ``tests/test_layering.py`` holds it to that.
"""
