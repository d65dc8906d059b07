"""The organisation a batch of deals is drawn from, with the world and model it belongs to."""

from __future__ import annotations

from dataclasses import dataclass

from revdesk.demo.catalogue import Catalogue
from revdesk.demo.customers import Accounts
from revdesk.demo.model import DemoParameters
from revdesk.demo.people import People
from revdesk.demo.timeline import World


@dataclass(frozen=True)
class Org:
    """The world simulated, the parameters, and the people, accounts and catalogue generated."""

    world: World
    params: DemoParameters
    people: People
    accounts: Accounts
    catalogue: Catalogue
