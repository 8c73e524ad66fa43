"""Generate realistic, deterministic company-registry records (~1 KB each) for the demo source.

The shape follows a Chamber of Commerce API: nested name/address objects, lists of contacts and
officers, and numbers that arrive as strings (registration numbers, employees, turnover), because
that is what real registries send and what mappings must cope with.

Every value is drawn from one SHAKE-128 digest of ``(seed, index)``: hashing is ~6x cheaper than
seeding a ``random.Random`` per record, needs no global state, and makes a record depend on nothing
but its index, seed and version. ``version`` only touches a few fields (a trading name, employees,
``updatedAt``) so a "changed" record differs from version 0 and is still valid.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import unicodedata
from typing import Any

ID_PREFIX = "cmp-"
STATUSES = ("ACTIVE", "DISSOLVED", "SUSPENDED")

_FIRST = (
    "Jan Pieter Kees Willem Sanne Emma Lotte Daan Sem Lucas Julia Anna Femke Bram Thijs Noor Eva Tess "
    "Ruben Lars Maarten Joost Marieke Ilse John James Sarah Emily Oliver Thomas Charlotte Sophie Harry "
    "Jack Amelia Grace Zoë Chloë Anouk Mees Finn Liam Jesse Floor Fleur Roos Sven Niels"
).split()
_SURNAMES = (
    "de Vries|Jansen|de Jong|van den Berg|Bakker|Visser|Smit|Meijer|de Boer|Mulder|de Groot|Bos|Vos|"
    "Peters|Hendriks|van Leeuwen|Dekker|Brouwer|de Wit|Dijkstra|Smits|de Graaf|van der Meer|Kok|Jacobs|"
    "de Haan|Vermeulen|van Dijk|Schouten|Smith|Jones|Taylor|Brown|Williams|Wilson|Johnson|Davies|"
    "Robinson|Wright|Thompson|Evans|Walker|White|Roberts|Green|Hall|Wood|O'Brien"
).split("|")
_NOUNS = (
    "Bouw Techniek Logistiek Advies Holding Software Bakkerij Transport Installatietechniek Consultancy "
    "Media Zorg Vastgoed Trading Solutions Engineering Design Groep Beheer Projecten Metaal Hout "
    "Schilders Catering Automatisering Data Energie Mode Kinderopvang Tuinen Verhuur Reclame"
).split()
_ROLES = (
    "Director",
    "Managing Director",
    "Secretary",
    "Chair",
    "Treasurer",
    "Board Member",
    "Authorised Signatory",
    "Supervisory Board Member",
)
_SIC_ACTIVITIES = {
    "62010": "Computer programming activities",
    "62020": "Information technology consultancy activities",
    "41201": "Construction of commercial buildings",
    "43210": "Electrical installation",
    "46900": "Non-specialised wholesale trade",
    "47190": "Retail sale in non-specialised stores",
    "49410": "Freight transport by road",
    "56101": "Licensed restaurants",
    "68201": "Renting and operating of housing association real estate",
    "69201": "Accounting and auditing activities",
    "70221": "Financial management",
    "71121": "Engineering design activities for industrial process and production",
    "73110": "Advertising agencies",
    "85599": "Other education not elsewhere classified",
    "86230": "Dental practice activities",
    "88911": "Child day-care activities",
    "01110": "Growing of cereals, leguminous crops and oil seeds",
    "10710": "Manufacture of bread; manufacture of fresh pastry goods and cakes",
    "25620": "Machining",
    "96021": "Hairdressing",
}
_SIC = list(_SIC_ACTIVITIES)
_MAIL_USERS = ("info", "contact", "sales", "admin", "office", "hello", "support", "finance")
_LINE2 = ("Unit {}", "Floor {}", "Suite {}", "Building {}", "Postbus {}", "Hal {}")
_CONTACT_TYPES = ("email", "phone", "web")
_NATIONALITIES = ("NL", "NL", "NL", "NL", "BE", "DE", "GB")
_REGIONS = ("Noord", "Zuid", "Oost", "West", "Centrum", "Direct", "Online", "Plus")

# Per country: (code, phone prefix, web TLD, number-first street style, legal forms, cities, streets).
_COUNTRIES: tuple[tuple[str, str, str, bool, tuple[tuple[str, str], ...], list[str], list[str]], ...] = (
    (
        "NL",
        "+31",
        "nl",
        False,
        (
            ("BV", "B.V."),
            ("BV", "B.V."),
            ("BV", "B.V."),
            ("NV", "N.V."),
            ("VOF", "V.O.F."),
            ("Eenmanszaak", ""),
            ("Stichting", ""),
            ("Coöperatie", "U.A."),
        ),
        "Amsterdam|Rotterdam|Den Haag|Utrecht|Eindhoven|Groningen|Tilburg|Almere|Breda|Nijmegen|"
        "Apeldoorn|Haarlem|Arnhem|Enschede|Amersfoort|Zaanstad|'s-Hertogenbosch|Zwolle|Leiden|"
        "Maastricht|Dordrecht|Delft|Alkmaar|Leeuwarden|Deventer|Hilversum".split("|"),
        "Hoofdstraat|Kerkstraat|Dorpsstraat|Stationsweg|Molenweg|Schoolstraat|Julianastraat|"
        "Beatrixstraat|Industrieweg|Nieuwstraat|Marktplein|Keizersgracht|Herengracht|Prinsengracht|"
        "Parallelweg|Wilhelminastraat|Oranjestraat|Kastanjelaan|Eikenlaan|Havenstraat|Coolsingel|"
        "Oudegracht|Stratumseind|Laan van Meerdervoort".split("|"),
    ),
    (
        "BE",
        "+32",
        "be",
        False,
        (("BV", "BV"), ("NV", "NV"), ("VZW", "VZW"), ("CommV", "CommV")),
        "Antwerpen|Gent|Brugge|Leuven|Mechelen|Hasselt|Brussel|Kortrijk|Oostende|Aalst".split("|"),
        "Meir|Veldstraat|Grote Markt|Bondgenotenlaan|Kerkstraat|Stationsstraat|Kapelstraat".split("|"),
    ),
    (
        "DE",
        "+49",
        "de",
        False,
        (("GmbH", "GmbH"), ("GmbH", "GmbH"), ("AG", "AG"), ("KG", "KG")),
        "Berlin|Hamburg|München|Köln|Frankfurt am Main|Düsseldorf|Stuttgart|Leipzig".split("|"),
        "Hauptstraße|Bahnhofstraße|Schulstraße|Gartenstraße|Dorfstraße|Königsallee".split("|"),
    ),
    (
        "GB",
        "+44",
        "co.uk",
        True,
        (
            ("Private Limited Company", "Ltd"),
            ("Public Limited Company", "PLC"),
            ("Limited Liability Partnership", "LLP"),
        ),
        "London|Manchester|Birmingham|Leeds|Bristol|Glasgow|Liverpool|Edinburgh".split("|"),
        "High Street|Station Road|Church Lane|Victoria Road|Park Avenue|Mill Lane|King Street|Queen's Road".split("|"),
    ),
)
_LETTERS = "ABCDEFGHJKLMNPRSTVWXZ"

_EPOCH = dt.date(1950, 1, 1)
_DATES = [(_EPOCH + dt.timedelta(days=n)).isoformat() for n in range((dt.date(2029, 12, 31) - _EPOCH).days + 1)]
_TODAY = (dt.date(2025, 6, 30) - _EPOCH).days  # the generated registry's "now": dates stay before it
_CLOCK = [f"{h:02d}:{m:02d}" for h in range(24) for m in range(60)]
_SECONDS = [f"{s:02d}" for s in range(60)]


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in ascii_text.lower() if ch.isalnum())


def _capitalize(text: str) -> str:
    return text[:1].upper() + text[1:]


_COMPANY_SURNAMES = [_capitalize(s) for s in _SURNAMES]
_SURNAME_SLUGS = [_slug(s) for s in _SURNAMES]
_NOUN_SLUGS = [_slug(n) for n in _NOUNS]


def record_id(index: int) -> str:
    """Return the stable id of the record at ``index`` (``cmp-000123``)."""
    return f"{ID_PREFIX}{index:06d}"


def parse_id(value: str | int) -> int | None:
    """Return the index an id (or an index) stands for, or None if it is not one of ours."""
    if isinstance(value, int):
        return value if value >= 0 else None
    digits = value[len(ID_PREFIX) :] if value.startswith(ID_PREFIX) else ""
    return int(digits) if digits.isdigit() and digits.isascii() else None


def _digest(index: int, seed: int) -> bytes:
    key = (seed * 1_000_003 + index).to_bytes(16, "little", signed=True)
    return hashlib.shake_128(key).digest(96)


def _founded(d: bytes) -> int:
    # Leave ~4 years before "today" so registration, appointment and verification dates fit after it.
    return (d[1] | d[2] << 8) % (_TODAY - 1500)


def make_record(index: int, *, seed: int = 0, version: int = 0) -> dict[str, Any]:
    """Build the record at ``index`` for ``seed``; ``version`` > 0 changes a few fields."""
    d = _digest(index, seed)
    country = _COUNTRIES[0 if d[0] < 205 else 1 + d[0] % 3]
    founded = _founded(d)
    surname, noun = d[3] % len(_SURNAMES), d[4] % len(_NOUNS)
    form, suffix = country[4][d[5] % len(country[4])]
    legal = f"{_COMPANY_SURNAMES[surname]} {_NOUNS[noun]} {suffix}".rstrip()
    slug = f"{_SURNAME_SLUGS[surname]}{_NOUN_SLUGS[noun]}"
    updated = _TODAY - 700 + (d[6] | d[7] << 8) % 700 + version % 1000
    employees = "" if d[8] < 26 else str((d[9] | d[10] << 8) % (10, 50, 250, 2500)[d[11] % 4] + 1 + 3 * version)
    sic = [_SIC[b % len(_SIC)] for b in d[19 : 20 + d[22] % 3]]
    turnover = (
        "" if d[14] < 26 else f"{(d[15] | d[16] << 8 | d[17] << 16) * 37 % 90_000_000 + 10_000}.{d[18] % 100:02d}"
    )
    return {
        "id": record_id(index),
        "registration": {
            "number": f"{(index * 3_141_592_653_589_793 + seed * 104_729 + 1_234_567) % 10**16:016d}",
            "branchNumber": f"{int.from_bytes(d[91:96], 'little') % 10**12:012d}",
            "registeredOn": _DATES[founded + d[12] % 90],
        },
        "name": _names(d, legal, surname, noun, country, version),
        "status": STATUSES[0 if d[13] < 218 else 1 if d[13] < 243 else 2],
        "legalForm": form,
        "foundedOn": _DATES[founded],
        "address": _address(d, country),
        "contacts": _contacts(d, slug, country, founded),
        "officers": _officers(d, founded),
        "employees": employees,
        "turnover": turnover,
        "sic": sic,
        "activity": _SIC_ACTIVITIES[sic[0]],
        "updatedAt": f"{_DATES[updated]}T{_CLOCK[(d[23] | d[24] << 8) % 1440]}:{_SECONDS[d[25] % 60]}Z",
    }


def _names(d: bytes, legal: str, surname: int, noun: int, country: tuple[Any, ...], version: int) -> dict[str, Any]:
    cities = country[5]
    trading = [
        f"{_COMPANY_SURNAMES[surname]} {_NOUNS[(noun + 1 + b) % len(_NOUNS)]}"
        if b & 1
        else f"{_NOUNS[noun]} {cities[b % len(cities)]}"
        for b in d[26 : 26 + d[29] % 4]
    ]
    if version:
        # The one visible rename of a changed record; keeps 0-3 trading names.
        region = _REGIONS[version % len(_REGIONS)]
        trading = [*trading[:2], f"{_COMPANY_SURNAMES[surname]} {_NOUNS[(noun + version) % len(_NOUNS)]} {region}"]
    previous = [
        f"{_COMPANY_SURNAMES[b % len(_SURNAMES)]} {_NOUNS[noun]} {country[4][b % len(country[4])][1]}".rstrip()
        for b in d[30 : 30 + d[32] % 3]
    ]
    return {"legal": legal, "trading": trading, "previous": previous}


def _address(d: bytes, country: tuple[Any, ...]) -> dict[str, Any]:
    code, street = country[0], country[6][d[33] % len(country[6])]
    number = f"{1 + (d[34] | d[35] << 8) % 350}{'' if d[36] < 200 else _LETTERS[d[36] % 4]}"
    letters = _LETTERS[d[38] % 21] + _LETTERS[d[39] % 21]
    if code == "NL":
        postcode = f"{1000 + (d[37] | d[41] << 8) % 9000} {letters}"
    elif code == "GB":
        postcode = f"{letters}{1 + d[37] % 20} {d[40] % 10}{_LETTERS[d[41] % 21]}{_LETTERS[d[42] % 21]}"
    else:
        low, span = (1000, 9000) if code == "BE" else (10000, 89000)
        postcode = str(low + (d[37] | d[41] << 8) % span)
    return {
        "line1": f"{number} {street}" if country[3] else f"{street} {number}",
        "line2": None if d[43] < 128 else _LINE2[d[43] % len(_LINE2)].format(1 + d[44] % 40),
        "postcode": postcode,
        "city": country[5][d[45] % len(country[5])],
        "country": code,
    }


def _contacts(d: bytes, slug: str, country: tuple[Any, ...], founded: int) -> list[dict[str, Any]]:
    contacts = []
    for o in range(47, 47 + 5 * (d[46] % 5), 5):
        kind = _CONTACT_TYPES[d[o] % 3]
        if kind == "email":
            value = f"{_MAIL_USERS[d[o + 1] % len(_MAIL_USERS)]}@{slug}.{country[2]}"
        elif kind == "phone":
            value = f"{country[1]} {10 + d[o + 1] % 80} {(d[o + 2] | d[o + 3] << 8 | d[o + 4] << 16) % 10_000_000:07d}"
        else:
            value = f"https://www.{slug}.{country[2]}"
        verified = None if d[o + 4] < 90 else _DATES[founded + (d[o + 2] | d[o + 3] << 8) % (_TODAY - founded)]
        contacts.append({"type": kind, "value": value, "primary": o == 47, "verifiedOn": verified})
    return contacts


def _officers(d: bytes, founded: int) -> list[dict[str, Any]]:
    return [
        {
            "name": {"first": _FIRST[d[o] % len(_FIRST)], "last": _SURNAMES[d[o + 1] % len(_SURNAMES)]},
            "role": _ROLES[d[o + 2] % len(_ROLES)],
            "nationality": _NATIONALITIES[d[o + 1] % 7],
            "appointedOn": _DATES[founded + (d[o + 3] | d[o + 4] << 8) % (_TODAY - founded)],
        }
        for o in range(68, 68 + 5 * (d[67] % 4), 5)
    ]


def make_detail(index: int, *, seed: int = 0, version: int = 0) -> dict[str, Any]:
    """Build the detail view of a record: the record plus ``filings``, which the list view leaves out.

    The extra key lets enrichment tests see that the per-object request really happened.
    """
    record = make_record(index, seed=seed, version=version)
    d = _digest(index, seed)
    founded = _founded(d)
    record["filings"] = [
        {"type": ("annualAccounts", "annualReturn")[b & 1], "filedOn": _DATES[founded + b * 41 % (_TODAY - founded)]}
        for b in d[83 : 84 + d[90] % 3]
    ]
    return record
