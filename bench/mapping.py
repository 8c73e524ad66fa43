"""The benchmark mapping in Python: what ``include/mappings/bench_companies.jsonata`` does, for dlt's ``add_map``.

dlt has no declarative mapping language; a dlt user writes this function. It must give the same object
as the JSONata mapping for every record (``tests/unit/test_bench_smoke.py`` checks it on sample
records), so both pipelines do the same work per object. Keys whose JSONata expression is undefined are
left out, as JSONata leaves them out of an object constructor.
"""

from __future__ import annotations

from typing import Any


def map_company(record: dict[str, Any]) -> dict[str, Any]:
    """Return the target object of one company record."""
    address = record["address"]
    officers = record["officers"]
    out: dict[str, Any] = {
        "registrationNumber": record["registration"]["number"],
        "branchNumber": str(int(record["registration"]["branchNumber"])),
        "name": record["name"]["legal"],
        "tradingNames": list(record["name"]["trading"]),
        "status": record["status"].lower(),
        "legalForm": record["legalForm"],
        "founded": record["foundedOn"],
        "foundedYear": int(record["foundedOn"][:4]),
    }
    if record["employees"] != "":
        out["employees"] = _number(record["employees"])
    if record["turnover"] != "":
        out["turnoverEur"] = _number(record["turnover"])
    out["address"] = {
        "street": address["line1"] + (", " + address["line2"] if address["line2"] else ""),
        "postcode": address["postcode"],
        "city": address["city"].upper(),
        "country": address["country"],
    }
    _put(out, "email", _first_contact(record["contacts"], "email", primary=True))
    _put(out, "phone", _first_contact(record["contacts"], "phone"))
    _put(out, "website", _first_contact(record["contacts"], "web"))
    out["officers"] = [
        {"name": f"{o['name']['first']} {o['name']['last']}", "role": o["role"], "since": o["appointedOn"][:10]}
        for o in officers
    ]
    out["officerCount"] = len(officers)
    out["sicCodes"] = list(record["sic"])
    out["activity"] = record["activity"]
    out["sourceUpdated"] = record["updatedAt"]
    return out


def _number(text: str) -> int | float:
    # JSONata's $number gives one number type; integral values print without a fraction, as ints do.
    value = float(text)
    return int(value) if value.is_integer() else value


def _first_contact(contacts: list[dict[str, Any]], kind: str, *, primary: bool = False) -> str | None:
    for contact in contacts:
        if contact["type"] == kind and (contact["primary"] or not primary):
            return str(contact["value"])
    return None


def _put(out: dict[str, Any], key: str, value: Any) -> None:
    if value is not None:
        out[key] = value
