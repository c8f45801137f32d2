"""`python -m bersama`: the same command as the `bersama` console script."""

from bersama.cli.main import main

main()
