"""Development and test tools: the local Cognito emulator, the demo identity provider, `portal dev`.

Their dependencies come with the `dev` extra only; nothing outside this package imports them.
"""
