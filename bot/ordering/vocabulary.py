"""The words that shape a shopping list without being items, units or amounts.

Note markers start a remark ("yang besar", "jangan pedas"), fillers surround an item
("tolong beliin ... ya bu"), and chatter is a whole part that orders nothing ("makasih").
"""

from __future__ import annotations


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


NOTE_MARKERS = _words(
    "yang yg jangan jgn tidak tdk gak ga gk nggak ngga enggak tanpa pakai pake minta mohon "
    "tolong dipotong dipotongin dibersihkan dibersihin bersihkan bersihin buang dibuang "
    "dikupas dikupasin dipilih pilih pilihkan pilihin agak utk untuk buat kalau kalo klo "
    "sudah udah harus usahakan diusahakan asal dicuci digiling diiris dibelah dicincang "
    "ukuran size isi merk merek"
)
CUT_WORDS = _words("potong dipotong belah dibelah iris diiris bagi dibagi")
CUT_JOIN = frozenset({"jadi", "jd", "mjd", "menjadi"})
EACH = frozenset({"masing-masing", "masing", "msg2", "@"})
JOINERS = frozenset({"dan", "&", "+"})
LEAD_FILLERS = _words(
    "saya aku sy mau pesan pesen order beli belikan beliin tolong minta sama sm ama dan plus "
    "terus trus lalu tambah tambahan nambah & +"
)
TRAIL_FILLERS = _words(
    "ya yah yaa ye aja saja aj bu pak kak mas mbak mba bang dong deh nih sih juga jg ok dan & +"
)
IN_NAMES = frozenset({"mas"})  # "ikan mas" is a fish, "makasih mas" is thanks
CHATTER = frozenset(
    {
        "makasih", "makasih banyak", "terima kasih", "terima kasih banyak", "terimakasih",
        "trima kasih", "trimakasih", "thanks", "thank you", "thx", "tks", "trims", "itu aja",
        "itu saja", "itu dulu", "segitu", "segitu aja", "sekian", "udah", "sudah",
        "udah itu", "sudah itu", "dll", "dsb", "lain lain", "lain-lain", "halo", "hallo",
        "hai", "hi", "pagi", "selamat pagi", "siang", "selamat siang", "assalamualaikum",
        "permisi", "belanja", "belanjaan", "daftar belanja", "daftar belanjaan",
        "list belanja", "list belanjaan", "pesanan", "pesanan saya", "mohon dibantu", "oke",
    }
)  # fmt: skip
