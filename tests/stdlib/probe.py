"""Run inside the guest: which stdlib modules import, and do the ones users
reach for most actually work? Registered as a def by tests/stdlib/probe.mjs."""
import importlib
import sys


def _try_import(name):
    try:
        importlib.import_module(name)
        return "ok"
    except BaseException as exc:
        return "%s: %s" % (type(exc).__name__, exc)


def _smoke():
    """One real use of each module a platform user is likely to need."""
    import asyncio, base64, bisect, collections, csv, dataclasses, datetime
    import decimal, enum, fractions, functools, hashlib, heapq, hmac, io
    import itertools, json, math, operator, random, re, statistics, string
    import struct, textwrap, typing, unicodedata, uuid, zlib, gzip, html
    import xml.etree.ElementTree as ET, urllib.parse, difflib, pprint, copy
    import ipaddress, email.message, zoneinfo, tomllib, secrets, array

    async def twice(x):
        await asyncio.sleep(0.001)
        return 2 * x

    @dataclasses.dataclass
    class P:
        x: int

    checks = {
        "asyncio": asyncio.run(twice(21)) == 42,
        "base64": base64.b64decode(base64.b64encode(b"hi")) == b"hi",
        "csv": list(csv.reader(io.StringIO("a,b\n1,2\n"))) == [["a", "b"], ["1", "2"]],
        "dataclasses": P(3).x == 3,
        "datetime": datetime.date(2024, 2, 29).isoformat() == "2024-02-29",
        "decimal": str(decimal.Decimal("1.1") + decimal.Decimal("2.2")) == "3.3",
        "fractions": fractions.Fraction(1, 3) * 3 == 1,
        "hashlib": hashlib.sha256(b"").hexdigest().startswith("e3b0c442"),
        "hmac": len(hmac.new(b"k", b"m", "sha256").hexdigest()) == 64,
        "json": json.loads(json.dumps({"a": [1, 2.5]})) == {"a": [1, 2.5]},
        "random": 0 <= random.random() < 1,
        "re": re.findall(r"\d+", "a1b22") == ["1", "22"],
        "statistics": statistics.median([1, 3, 2]) == 2,
        "struct": struct.unpack("<I", struct.pack("<I", 7)) == (7,),
        "unicodedata": unicodedata.name("é") == "LATIN SMALL LETTER E WITH ACUTE",
        "uuid": len(str(uuid.uuid4())) == 36,
        "zlib": zlib.decompress(zlib.compress(b"x" * 100)) == b"x" * 100,
        "gzip": gzip.decompress(gzip.compress(b"y")) == b"y",
        "xml.etree": ET.fromstring("<a><b>t</b></a>").find("b").text == "t",
        "urllib.parse": urllib.parse.urlparse("http://h/p?q=1").query == "q=1",
        "ipaddress": ipaddress.ip_address("10.0.0.1").is_private,
        "email": email.message.EmailMessage() is not None,
        "tomllib": tomllib.loads("a = 1") == {"a": 1},
        "secrets": len(secrets.token_bytes(8)) == 8,
        "array": array.array("i", [1, 2]).tolist() == [1, 2],
        "zoneinfo": zoneinfo.ZoneInfo is not None,
        "difflib": difflib.SequenceMatcher(None, "ab", "ac").ratio() == 0.5,
    }
    return {k: bool(v) for k, v in checks.items()}


def probe(names):
    imports = {name: _try_import(name) for name in names}
    return {"imports": imports, "builtin": sorted(sys.builtin_module_names),
            "smoke": _smoke()}
