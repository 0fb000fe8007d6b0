"""`python -m loa` is the `loa` command."""
from .cli import main

main()
