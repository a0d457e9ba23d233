"""Is an address enough for a courier in Kota Bekasi to find the house?

A written address needs the street (jalan, gang, blok, perumahan...) with a house number,
the RT/RW, and a kelurahan or a landmark (patokan). With a location pin, the pin finds the
street: the house number/block or a landmark is enough.
"""

from __future__ import annotations

import re

_STREET = re.compile(
    r"\b(jl|jln|jalan|gg|gang|blok|blk|perum|perumahan|komplek|kompleks|komp|cluster|"
    r"kav|kavling|apartemen|apt|tower|ruko|griya|villa|taman|pondok|kp|kampung|dusun)\b",
    re.IGNORECASE,
)
_HOUSE = re.compile(r"\b(no|nomor|nmr|no\.)\s*\.?\s*\d|\b[a-z]{0,2}\s?\d{1,4}[a-z]?\b", re.I)
_RT_RW = re.compile(
    r"\brt\.?\s*[:.]?\s*\d{1,3}|\brw\.?\s*[:.]?\s*\d{1,3}|\b\d{1,3}\s*/\s*\d{1,3}\b", re.I
)
_LANDMARK = re.compile(
    r"\b(kel|kelurahan|desa|kec|kecamatan|patokan|dekat|depan|samping|sebelah|belakang|"
    r"seberang|sebrang|masjid|mesjid|musholla|mushola|gereja|sekolah|sd|smp|sma|warung|toko|"
    r"pos|gapura|pertigaan|perempatan|lapangan|pasar|stasiun|terminal|rs|puskesmas|kantor)\b",
    re.IGNORECASE,
)
# Kelurahan of Kota Bekasi (and the names people use for their neighbourhoods)
KELURAHAN = (
    "jatibening", "jatibening baru", "jatimakmur", "jatiwaringin", "jaticempaka", "jatirahayu",
    "jatiwarna", "jatikramat", "jatimekar", "jatiasih", "jatiluhur", "jatisari", "jatirasa",
    "jatiranggon", "jatikarya", "jatimurni", "jatimelati", "jatiraden", "jatisampurna",
    "kranji", "kota baru", "bintara", "bintara jaya", "jakasampurna", "harapan jaya",
    "harapan baru", "harapan mulya", "kaliabang", "kaliabang tengah", "perwira",
    "teluk pucung", "marga mulya", "pejuang", "medan satria", "kali baru", "aren jaya",
    "bekasi jaya", "duren jaya", "margahayu", "bojong menteng", "bojong rawalumbu",
    "sepanjang jaya", "pengasinan", "margajaya", "kayuringin", "kayuringin jaya",
    "pekayon", "pekayon jaya", "jakamulya", "jakasetia", "ciketing udik", "cikiwul",
    "sumur batu", "bantargebang", "bantar gebang", "mustika jaya", "mustikasari",
    "padurenan", "cimuning", "pondok melati", "pondokgede", "pondok gede", "rawalumbu",
    "galaxy", "summarecon", "harapan indah", "wisma asri", "teluk buyung",
)
_KELURAHAN = re.compile(r"\b(" + "|".join(re.escape(k) for k in KELURAHAN) + r")\b", re.I)


def check_address(text: str, has_pin: bool) -> list[str]:
    """The message ids of what the address still lacks (empty: good enough)."""
    if has_pin:
        enough = _HOUSE.search(text) or _LANDMARK.search(text) or _STREET.search(text)
        return [] if enough and len(text) >= 4 else ["order.address_street"]
    missing = []
    if not (_STREET.search(text) and _HOUSE.search(text)):
        missing.append("order.address_street")
    if not _RT_RW.search(text):
        missing.append("order.address_rtrw")
    if not (_LANDMARK.search(text) or _KELURAHAN.search(text)):
        missing.append("order.address_area")
    return missing
