"""`python -m portal.devtools.emulator`: same as `portal emulator`."""

from .cli import emulator_command

emulator_command(prog_name="python -m portal.devtools.emulator")
