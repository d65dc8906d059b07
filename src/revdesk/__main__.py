"""`python -m revdesk` runs the command line."""

from revdesk.cli import main

main()
