"""Word lists that give the demo company's records plausible names, deterministically.

Account names combine a prefix, a core word and a company form; they are unique because each
account takes a different combination (a numbered "Group" beyond the 84,480 combinations).
"""

from __future__ import annotations

from typing import Final

import numpy as np
import polars as pl

PREFIXES: Final = (
    "Acme", "Aldridge", "Alpine", "Amber", "Apex", "Arbor", "Argent", "Ashford", "Atlas", "Aurora",
    "Bastion", "Beacon", "Birch", "Blue Ridge", "Boulder", "Bright", "Cardinal", "Cascade",
    "Cedar", "Clearwater", "Cobalt", "Copper", "Crescent", "Crown", "Delta", "Eastgate", "Ember",
    "Evergreen", "Falcon", "Fairview", "Granite", "Harbor", "Hawthorn", "Highland", "Horizon",
    "Ironwood", "Juniper", "Keystone", "Lakeside", "Laurel", "Lumen", "Maple", "Meridian",
    "Midland", "Monarch", "Northwind", "Oakridge", "Orchid", "Pacific", "Pinecrest", "Pioneer",
    "Quarry", "Redwood", "Riverside", "Sable", "Sapphire", "Sierra", "Silver", "Summit",
    "Tidewater", "Trident", "Vantage", "Westbrook", "Willow",
)  # fmt: skip
CORES: Final = (
    "Analytics", "Biotech", "Capital", "Components", "Consulting", "Dental", "Devices", "Digital",
    "Distribution", "Energy", "Engineering", "Foods", "Freight", "Health", "Holdings",
    "Hospitality", "Industries", "Insurance", "Labs", "Learning", "Logistics", "Manufacturing",
    "Marine", "Media", "Medical", "Mobility", "Networks", "Partners", "Pharma", "Power", "Retail",
    "Robotics", "Security", "Services", "Shipping", "Software", "Solutions", "Systems",
    "Technologies", "Telecom", "Textiles", "Therapeutics", "Travel", "Utilities",
)  # fmt: skip
FORMS: Final = (
    "Inc", "Ltd", "LLC", "Group", "Corp", "Co", "plc", "GmbH", "SA", "BV", "AG", "Pty Ltd",
    "Partners", "Holdings", "International", "Worldwide", "& Sons", "Collective", "Alliance",
    "Enterprises", "Labs", "Works", "Ventures", "Co-op", "Trust", "Associates", "Industries",
    "Federation", "Network", "Consortium",
)  # fmt: skip
INDUSTRIES: Final = (
    "Software", "Healthcare", "Financial Services", "Manufacturing", "Retail",
    "Transportation & Logistics", "Energy", "Insurance", "Education", "Media", "Telecom",
    "Consumer Goods", "Automotive", "Life Sciences", "Professional Services", "Public Sector",
)  # fmt: skip
FIRST_NAMES: Final = (
    "Aisha", "Alice", "Amir", "Ana", "Ben", "Bianca", "Carla", "Chen", "Chloe", "Daniel", "Dana",
    "Dev", "Diego", "Elena", "Emma", "Erin", "Fatima", "Felix", "Grace", "Hannah", "Hiro", "Ines",
    "Isaac", "Jonah", "Julia", "Kai", "Karin", "Kofi", "Lars", "Laura", "Leo", "Lina", "Luca",
    "Maya", "Marcus", "Mei", "Nadia", "Noah", "Olivia", "Omar", "Oscar", "Priya", "Rachel", "Raj",
    "Rita", "Sam", "Sara", "Sofia", "Tariq", "Tom", "Uma", "Victor", "Wei", "Yara", "Yusuf", "Zoe",
)  # fmt: skip
LAST_NAMES: Final = (
    "Adler", "Alvarez", "Bell", "Brandt", "Chen", "Costa", "Delgado", "Dubois", "Eriksen",
    "Fischer", "Fontaine", "Garcia", "Grant", "Haddad", "Hughes", "Ito", "Jensen", "Kim",
    "Kowalski", "Lee", "Marchand", "Moreno", "Murphy", "Nguyen", "Novak", "Okafor", "Osei", "Park",
    "Patel", "Petrov", "Quinn", "Raman", "Romano", "Ross", "Ruiz", "Sato", "Schultz", "Silva",
    "Singh", "Sorensen", "Tanaka", "Vogel", "Walsh", "Whitfield", "Wong", "Young", "Zhang",
    "Ziegler",
)  # fmt: skip
TITLES: Final = {
    "economic_buyer": "Chief Financial Officer",
    "decision_maker": "VP Operations",
    "champion": "Director of Revenue Operations",
    "influencer": "Head of IT",
    "technical_evaluator": "Solutions Architect",
    "end_user": "Sales Operations Analyst",
    "procurement": "Procurement Manager",
    "legal": "Legal Counsel",
    "blocker": "Chief Risk Officer",
    "other": "Consultant",
}
NEXT_STEPS: Final = (
    "Book first meeting with the sponsor",
    "Discovery call with the buying committee",
    "Tailored demo against the success criteria",
    "Walk the economic buyer through the proposal",
    "Agree redlines with legal and confirm signatory",
)
"""The next step a clean open deal carries in each open stage (Prospecting..Negotiation)."""


def account_names(rng: np.random.Generator, n: int) -> list[str]:
    """Return `n` distinct company names."""
    combos = len(PREFIXES) * len(CORES) * len(FORMS)
    picks = rng.permutation(combos)[: min(n, combos)]
    prefix, rest = np.divmod(picks, len(CORES) * len(FORMS))
    core, form = np.divmod(rest, len(FORMS))
    names = [
        f"{PREFIXES[p]} {CORES[c]} {FORMS[f]}"
        for p, c, f in zip(prefix.tolist(), core.tolist(), form.tolist(), strict=True)
    ]
    names.extend(f"{names[i % combos]} Group {i // combos + 1}" for i in range(combos, n))
    return names


def person_names(rng: np.random.Generator, n: int) -> tuple[list[str], list[str]]:
    """Return `n` first names and `n` last names."""
    first = rng.integers(0, len(FIRST_NAMES), n)
    last = rng.integers(0, len(LAST_NAMES), n)
    return [FIRST_NAMES[i] for i in first.tolist()], [LAST_NAMES[i] for i in last.tolist()]


def slug(names: pl.Expr) -> pl.Expr:
    """Lower-case letters and digits only: the e-mail form of a name."""
    return names.str.to_lowercase().str.replace_all(r"[^a-z0-9]+", "")


def unique_emails(local: pl.Series, domain: pl.Series) -> pl.Series:
    """E-mail addresses local@domain, numbered from the second use of the same address on."""
    frame = pl.DataFrame({"local": local, "domain": domain}).with_columns(
        n=pl.int_range(pl.len()).over("local", "domain")
    )
    suffix = pl.when(pl.col("n") > 0).then((pl.col("n") + 1).cast(pl.String)).otherwise(pl.lit(""))
    return frame.select(
        pl.concat_str(pl.col("local"), suffix, pl.lit("@"), pl.col("domain")).alias("email")
    )["email"]
