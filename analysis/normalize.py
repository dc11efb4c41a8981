"""Meta CAPI user_data normalization, hashing, well-formedness checks and hash-mistake diagnosis."""

from __future__ import annotations

import hashlib
import ipaddress
import re
import unicodedata
from datetime import date
from functools import lru_cache

import phonenumbers

HASH_KEYS: tuple[str, ...] = ("em", "ph", "fn", "ln", "ge", "db", "ct", "st", "zp", "country")
PLAIN_KEYS: tuple[str, ...] = ("external_id", "client_ip_address", "client_user_agent", "fbc", "fbp")
USER_DATA_KEYS: tuple[str, ...] = HASH_KEYS + PLAIN_KEYS

# All public patterns avoid lookarounds and backreferences so that the same string can be used by
# Python's `re` and by DuckDB's RE2 (`regexp_full_match`) and both engines agree.
_APPENDIX = r"(?:\.[A-Za-z0-9_-]{2,8})?"  # Meta's parameter builder appends ".Ag" or an 8-char token
HASH_RE: str = "[0-9a-f]{64}" + _APPENDIX
HASHLIKE_RE: str = "[0-9A-Fa-f]{64}" + _APPENDIX
# Exactly the characters Python's str.isspace() accepts: RE2's \s lacks \v and Unicode spaces, so a
# spelled-out class is the only way both engines reject the same whitespace.
_WS = r"\t\n\v\f\r \x1c-\x1f\x85\xa0" + "\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
FB_COOKIE_RE: str = rf"fb\.[0-9]\.[0-9]{{13}}\.[^.{_WS}][^{_WS}]*"
_OCTET = "(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"  # no leading zeros, as ipaddress rejects them
IPV4_RE: str = rf"{_OCTET}(?:\.{_OCTET}){{3}}"
_H16 = "[0-9A-Fa-f]{1,4}"
_LS32 = f"(?:{_H16}:{_H16}|{IPV4_RE})"
# RFC 3986 IPv6address: the nine forms differ in where "::" stands and how many groups precede it.
_V6_TAILS = (f"(?:{_H16}:){{4}}{_LS32}", f"(?:{_H16}:){{3}}{_LS32}", f"(?:{_H16}:){{2}}{_LS32}",
             f"{_H16}:{_LS32}", _LS32, _H16, "")
IPV6_RE: str = "(?:" + "|".join(
    [f"(?:{_H16}:){{6}}{_LS32}", f"::(?:{_H16}:){{5}}{_LS32}", f"(?:{_H16})?::{_V6_TAILS[0]}"]
    + [f"(?:(?:{_H16}:){{0,{n}}}{_H16})?::{tail}" for n, tail in enumerate(_V6_TAILS[1:], 1)]
) + ")"

_HASH = re.compile(HASH_RE)
_HASHLIKE = re.compile(HASHLIKE_RE)
_FB_COOKIE = re.compile(FB_COOKIE_RE)

# English short names, ISO alpha-3 codes, common aliases and a few native names, keyed by alpha-2.
# Lookup ignores case, accents, spaces and punctuation, so "U.S." and "Côte d'Ivoire" need no variants.
_COUNTRY_TABLE = """
    ad=AND/Andorra; ae=ARE/United Arab Emirates/UAE/Emirates; af=AFG/Afghanistan; ag=ATG/Antigua and Barbuda;
    ai=AIA/Anguilla; al=ALB/Albania; am=ARM/Armenia; ao=AGO/Angola; aq=ATA/Antarctica; ar=ARG/Argentina;
    as=ASM/American Samoa; at=AUT/Austria/Österreich; au=AUS/Australia; aw=ABW/Aruba; ax=ALA/Åland Islands;
    az=AZE/Azerbaijan; ba=BIH/Bosnia and Herzegovina; bb=BRB/Barbados; bd=BGD/Bangladesh;
    be=BEL/Belgium/België/Belgique; bf=BFA/Burkina Faso; bg=BGR/Bulgaria; bh=BHR/Bahrain; bi=BDI/Burundi;
    bj=BEN/Benin; bl=BLM/Saint Barthélemy/Saint Barts; bm=BMU/Bermuda; bn=BRN/Brunei/Brunei Darussalam;
    bo=BOL/Bolivia/Bolivia, Plurinational State of;
    bq=BES/Caribbean Netherlands/Bonaire, Sint Eustatius and Saba/Bonaire; br=BRA/Brazil/Brasil; bs=BHS/Bahamas;
    bt=BTN/Bhutan; bv=BVT/Bouvet Island; bw=BWA/Botswana; by=BLR/Belarus; bz=BLZ/Belize; ca=CAN/Canada;
    cc=CCK/Cocos Islands/Cocos (Keeling) Islands;
    cd=COD/DR Congo/DRC/Democratic Republic of the Congo/Congo-Kinshasa/Congo, The Democratic Republic of the;
    cf=CAF/Central African Republic; cg=COG/Congo/Republic of the Congo/Congo-Brazzaville;
    ch=CHE/Switzerland/Schweiz/Suisse/Svizzera; ci=CIV/Côte d'Ivoire/Ivory Coast; ck=COK/Cook Islands;
    cl=CHL/Chile; cm=CMR/Cameroon; cn=CHN/China/PRC/People's Republic of China; co=COL/Colombia;
    cr=CRI/Costa Rica; cu=CUB/Cuba; cv=CPV/Cabo Verde/Cape Verde; cw=CUW/Curaçao; cx=CXR/Christmas Island;
    cy=CYP/Cyprus; cz=CZE/Czech Republic/Czechia/Česko; de=DEU/Germany/Deutschland; dj=DJI/Djibouti;
    dk=DNK/Denmark/Danmark; dm=DMA/Dominica; do=DOM/Dominican Republic; dz=DZA/Algeria; ec=ECU/Ecuador;
    ee=EST/Estonia; eg=EGY/Egypt; eh=ESH/Western Sahara; er=ERI/Eritrea; es=ESP/Spain/España; et=ETH/Ethiopia;
    fi=FIN/Finland/Suomi; fj=FJI/Fiji; fk=FLK/Falkland Islands/Falkland Islands (Malvinas);
    fm=FSM/Micronesia/Micronesia, Federated States of; fo=FRO/Faroe Islands; fr=FRA/France; ga=GAB/Gabon;
    gb=GBR/United Kingdom/UK/Great Britain/Britain/England/Scotland/Wales/Northern Ireland;
    gb=United Kingdom of Great Britain and Northern Ireland;
    gd=GRD/Grenada; ge=GEO/Georgia; gf=GUF/French Guiana; gg=GGY/Guernsey; gh=GHA/Ghana; gi=GIB/Gibraltar;
    gl=GRL/Greenland; gm=GMB/Gambia; gn=GIN/Guinea; gp=GLP/Guadeloupe; gq=GNQ/Equatorial Guinea;
    gr=GRC/Greece/Hellas; gs=SGS/South Georgia and the South Sandwich Islands; gt=GTM/Guatemala; gu=GUM/Guam;
    gw=GNB/Guinea-Bissau; gy=GUY/Guyana; hk=HKG/Hong Kong; hm=HMD/Heard Island and McDonald Islands;
    hn=HND/Honduras; hr=HRV/Croatia; ht=HTI/Haiti; hu=HUN/Hungary; id=IDN/Indonesia;
    ie=IRL/Ireland/Eire/Republic of Ireland; il=ISR/Israel; im=IMN/Isle of Man; in=IND/India;
    io=IOT/British Indian Ocean Territory; iq=IRQ/Iraq; ir=IRN/Iran/Iran, Islamic Republic of; is=ISL/Iceland;
    it=ITA/Italy/Italia; je=JEY/Jersey; jm=JAM/Jamaica; jo=JOR/Jordan; jp=JPN/Japan; ke=KEN/Kenya;
    kg=KGZ/Kyrgyzstan; kh=KHM/Cambodia; ki=KIR/Kiribati; km=COM/Comoros; kn=KNA/Saint Kitts and Nevis;
    kp=PRK/North Korea/Korea, Democratic People's Republic of/DPRK;
    kr=KOR/South Korea/Korea/Korea, Republic of/Republic of Korea; kw=KWT/Kuwait; ky=CYM/Cayman Islands;
    kz=KAZ/Kazakhstan; la=LAO/Laos/Lao People's Democratic Republic; lb=LBN/Lebanon; lc=LCA/Saint Lucia;
    li=LIE/Liechtenstein; lk=LKA/Sri Lanka; lr=LBR/Liberia; ls=LSO/Lesotho; lt=LTU/Lithuania; lu=LUX/Luxembourg;
    lv=LVA/Latvia; ly=LBY/Libya; ma=MAR/Morocco; mc=MCO/Monaco; md=MDA/Moldova/Moldova, Republic of;
    me=MNE/Montenegro; mf=MAF/Saint Martin/Saint Martin (French part); mg=MDG/Madagascar;
    mh=MHL/Marshall Islands; mk=MKD/North Macedonia/Macedonia; ml=MLI/Mali; mm=MMR/Myanmar/Burma;
    mn=MNG/Mongolia; mo=MAC/Macau/Macao; mp=MNP/Northern Mariana Islands; mq=MTQ/Martinique; mr=MRT/Mauritania;
    ms=MSR/Montserrat; mt=MLT/Malta; mu=MUS/Mauritius; mv=MDV/Maldives; mw=MWI/Malawi; mx=MEX/Mexico/México;
    my=MYS/Malaysia; mz=MOZ/Mozambique; na=NAM/Namibia; nc=NCL/New Caledonia; ne=NER/Niger;
    nf=NFK/Norfolk Island; ng=NGA/Nigeria; ni=NIC/Nicaragua; nl=NLD/Netherlands/Holland/Nederland;
    no=NOR/Norway/Norge; np=NPL/Nepal; nr=NRU/Nauru; nu=NIU/Niue; nz=NZL/New Zealand; om=OMN/Oman;
    pa=PAN/Panama; pe=PER/Peru; pf=PYF/French Polynesia; pg=PNG/Papua New Guinea; ph=PHL/Philippines;
    pk=PAK/Pakistan; pl=POL/Poland/Polska; pm=SPM/Saint Pierre and Miquelon; pn=PCN/Pitcairn/Pitcairn Islands;
    pr=PRI/Puerto Rico; ps=PSE/Palestine/Palestine, State of; pt=PRT/Portugal; pw=PLW/Palau; py=PRY/Paraguay;
    qa=QAT/Qatar; re=REU/Réunion; ro=ROU/Romania; rs=SRB/Serbia; ru=RUS/Russia/Russian Federation;
    rw=RWA/Rwanda; sa=SAU/Saudi Arabia/KSA; sb=SLB/Solomon Islands; sc=SYC/Seychelles; sd=SDN/Sudan;
    se=SWE/Sweden/Sverige; sg=SGP/Singapore; sh=SHN/Saint Helena/Saint Helena, Ascension and Tristan da Cunha;
    si=SVN/Slovenia; sj=SJM/Svalbard and Jan Mayen; sk=SVK/Slovakia; sl=SLE/Sierra Leone; sm=SMR/San Marino;
    sn=SEN/Senegal; so=SOM/Somalia; sr=SUR/Suriname; ss=SSD/South Sudan; st=STP/Sao Tome and Principe;
    sv=SLV/El Salvador; sx=SXM/Sint Maarten/Sint Maarten (Dutch part); sy=SYR/Syria/Syrian Arab Republic;
    sz=SWZ/Eswatini/Swaziland; tc=TCA/Turks and Caicos Islands; td=TCD/Chad; tf=ATF/French Southern Territories;
    tg=TGO/Togo; th=THA/Thailand; tj=TJK/Tajikistan; tk=TKL/Tokelau; tl=TLS/Timor-Leste/East Timor;
    tm=TKM/Turkmenistan; tn=TUN/Tunisia; to=TON/Tonga; tr=TUR/Turkey/Türkiye; tt=TTO/Trinidad and Tobago;
    tv=TUV/Tuvalu; tw=TWN/Taiwan/Taiwan, Province of China/Republic of China;
    tz=TZA/Tanzania/Tanzania, United Republic of; ua=UKR/Ukraine; ug=UGA/Uganda;
    um=UMI/US Minor Outlying Islands/United States Minor Outlying Islands;
    us=USA/United States/United States of America/America/Estados Unidos; uy=URY/Uruguay; uz=UZB/Uzbekistan;
    va=VAT/Vatican City/Vatican/Holy See; vc=VCT/Saint Vincent and the Grenadines;
    ve=VEN/Venezuela/Venezuela, Bolivarian Republic of; vg=VGB/British Virgin Islands/Virgin Islands, British;
    vi=VIR/US Virgin Islands/Virgin Islands, U.S.; vn=VNM/Vietnam/Viet Nam; vu=VUT/Vanuatu;
    wf=WLF/Wallis and Futuna; ws=WSM/Samoa; ye=YEM/Yemen; yt=MYT/Mayotte; za=ZAF/South Africa; zm=ZMB/Zambia;
    zw=ZWE/Zimbabwe; ac=Ascension Island/Ascension; ta=Tristan da Cunha; xk=XKX/Kosovo
"""
_US_STATE_TABLE = """
    al=Alabama; ak=Alaska; az=Arizona; ar=Arkansas; ca=California; co=Colorado; ct=Connecticut; de=Delaware;
    fl=Florida; ga=Georgia; hi=Hawaii; id=Idaho; il=Illinois; in=Indiana; ia=Iowa; ks=Kansas; ky=Kentucky;
    la=Louisiana; me=Maine; md=Maryland; ma=Massachusetts; mi=Michigan; mn=Minnesota; ms=Mississippi;
    mo=Missouri; mt=Montana; ne=Nebraska; nv=Nevada; nh=New Hampshire; nj=New Jersey; nm=New Mexico;
    ny=New York; nc=North Carolina; nd=North Dakota; oh=Ohio; ok=Oklahoma; or=Oregon; pa=Pennsylvania;
    ri=Rhode Island; sc=South Carolina; sd=South Dakota; tn=Tennessee; tx=Texas; ut=Utah; vt=Vermont;
    va=Virginia; wa=Washington; wv=West Virginia; wi=Wisconsin; wy=Wyoming;
    dc=District of Columbia/Washington DC/Washington D.C.; pr=Puerto Rico; gu=Guam;
    vi=US Virgin Islands/Virgin Islands; as=American Samoa; mp=Northern Mariana Islands;
    um=US Minor Outlying Islands; aa=Armed Forces Americas; ae=Armed Forces Europe; ap=Armed Forces Pacific
"""
_FEMALE = frozenset({"f", "female", "w", "woman", "women", "frau", "weiblich", "femme", "feminin",
                     "mujer", "femenino", "femenina", "feminino", "donna", "girl"})
_MALE = frozenset({"m", "male", "man", "men", "mann", "mannlich", "maennlich", "homme", "masculin",
                   "hombre", "masculino", "uomo", "boy"})
_CASE_KEYS = frozenset({"em", "fn", "ln", "ct", "st", "zp", "country", "ge"})
_US_ZIP = re.compile(r"[0-9]{5}(?:[-\s]?[0-9]{4})?")
_DATE_FORMS = (  # (pattern, group order as year, month, day)
    (re.compile(r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})(?:[T ][0-9:.]+(?:Z|[+-][0-9:]+)?)?"), (1, 2, 3)),  # ISO, maybe a time
    (re.compile(r"([0-9]{4})([0-9]{2})([0-9]{2})"), (1, 2, 3)),
    (re.compile(r"([0-9]{4})/([0-9]{1,2})/([0-9]{1,2})"), (1, 2, 3)),
    (re.compile(r"([0-9]{1,2})/([0-9]{1,2})/([0-9]{4})"), (3, 1, 2)),  # US month first, as Meta's 2/16/1997
    (re.compile(r"([0-9]{1,2})\.([0-9]{1,2})\.([0-9]{4})"), (3, 2, 1)),  # European D.M.YYYY
)


def _lookup_key(text: str) -> str:
    """Fold a country/state spelling to ASCII-ish lowercase letters for table lookup."""
    text = unicodedata.normalize("NFKD", text.casefold().replace("&", " and ")).strip()
    text = re.sub(r"^the\s+", "", text)
    text = re.sub(r"\bst\b\.?(?=\s*\w)", "saint", text)  # "St. Lucia"; a bare "ST" stays São Tomé
    return "".join(ch for ch in text if ch.isalpha() and not unicodedata.combining(ch))


def _parse_table(text: str) -> dict[str, str]:
    table: dict[str, str] = {}
    for entry in text.split(";"):
        code, _, names = entry.strip().partition("=")
        for name in (code, *names.split("/")):
            table[_lookup_key(name)] = code
    return table


_COUNTRIES = _parse_table(_COUNTRY_TABLE)
for _region in phonenumbers.SUPPORTED_REGIONS:  # every region phonenumbers can parse is a known code
    _COUNTRIES.setdefault(_region.lower(), _region.lower())
_US_STATES = _parse_table(_US_STATE_TABLE)


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def is_hash(value: str) -> bool:
    return isinstance(value, str) and _HASH.fullmatch(value) is not None


def looks_hashed(value: str) -> bool:
    return isinstance(value, str) and _HASHLIKE.fullmatch(value) is not None


def is_valid_fb_cookie(value: str) -> bool:
    return isinstance(value, str) and _FB_COOKIE.fullmatch(value) is not None


def is_valid_ip(value: str) -> bool:
    # A zone id ("fe80::1%eth0") is link-local, never a visitor's address, and IPV6_RE rejects it too.
    if not isinstance(value, str) or "%" in value:
        return False
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def is_well_formed(key: str, value: str) -> bool:
    """The report's coverage rule for one received string (lists are handled by the caller)."""
    if key not in USER_DATA_KEYS:
        raise ValueError(f"unknown user_data key: {key!r}")
    if not isinstance(value, str):
        return False
    if key in HASH_KEYS:
        return is_hash(value)
    if key in ("fbc", "fbp"):
        return is_valid_fb_cookie(value)
    if key == "client_ip_address":
        return is_valid_ip(value)
    return bool(value.strip())  # external_id, client_user_agent


def normalize_country(value: str | None) -> str | None:
    if not isinstance(value, str):
        return None
    return _country_code(value)


@lru_cache(maxsize=4096)
def _country_code(value: str) -> str | None:
    # Cached: phone, state and ZIP rules ask for the same few countries on every record.
    key = _lookup_key(value)
    code = _COUNTRIES.get(key)
    if code is not None:
        return code
    # An unknown two-letter value is most likely a code we lack; longer unknown text is unusable.
    return key if len(key) == 2 and key.isascii() else None


def _compact(value: str) -> str:
    """Lowercase, without whitespace, punctuation (P*), symbols (S*) or invisible controls."""
    # Meta's examples ("newyork", "mary") carry no spaces, and "Mary Ann" vs "MaryAnn" must hash alike.
    # Zero-width (non-)joiners are kept: they are spelling in Persian and Indic scripts.
    text = unicodedata.normalize("NFC", value).strip().lower()
    return "".join(
        ch for ch in text
        if not ch.isspace() and unicodedata.category(ch)[0] not in "PS"
        and (unicodedata.category(ch) not in ("Cc", "Cf") or ch in "\u200c\u200d")
    )


def _parse_phone(value: str, country: str | None) -> phonenumbers.PhoneNumber | None:
    text = value.strip()
    if text.startswith("00"):
        text = "+" + text[2:]
    region = None
    if not text.startswith("+"):
        code = normalize_country(country)
        if code is None:
            return None
        region = code.upper()
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    # An impossible length means the region guess was wrong (e.g. "447700900123" on a US record):
    # the digits as written are then a better guess than a second country code glued in front.
    return number if phonenumbers.is_possible_number(number) else None


def _phone(value: str, country: str | None) -> str | None:
    return _phone_digits(value, _parse_phone(value, country))


def phone_forms(value: str, country: str | None = None) -> tuple[str | None, str | None]:
    """A phone's normalized digits (None: unusable) and, when it parses, its national significant number.

    The two strings every phone hash and phone mistake is made of (hash_variants).
    """
    number = _parse_phone(value, country)
    national = phonenumbers.national_significant_number(number) if number is not None else None
    return _phone_digits(value, number), national


def _phone_digits(value: str, number: phonenumbers.PhoneNumber | None) -> str | None:
    if number is not None:
        # E.164 keeps Italy's significant leading zero (+39 06…), which national_number would drop.
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)[1:]
    return re.sub(r"[^0-9]", "", value).lstrip("0") or None


def _birthdate(value: str) -> str | None:
    text = value.strip()
    for pattern, (y, m, d) in _DATE_FORMS:
        match = pattern.fullmatch(text)
        if match:
            try:
                return date(int(match[y]), int(match[m]), int(match[d])).strftime("%Y%m%d")
            except ValueError:  # 2/30/1997 and the like
                return None
    return None


def _gender(value: str) -> str | None:
    key = _lookup_key(value)
    return "f" if key in _FEMALE else "m" if key in _MALE else None


def _state(value: str, country: str | None) -> str | None:
    state = _US_STATES.get(_lookup_key(value))
    if state is not None and normalize_country(country) in ("us", None):  # US record, or no country
        return state
    return _compact(value) or None


def _zip(value: str, country: str | None) -> str | None:
    text = "".join(ch for ch in value.lower() if not ch.isspace() and unicodedata.category(ch) != "Pd")
    code = normalize_country(country)
    if code == "us" or (code is None and _US_ZIP.fullmatch(value.strip())):
        match = re.match("[0-9]{5}", text)  # ZIP+4 -> ZIP
        if match:
            return match.group()
    return text or None


def normalize(key: str, value: str | None, country: str | None = None) -> str | None:
    """Meta's normalization of one plaintext value; None when it is empty or unusable."""
    if key not in USER_DATA_KEYS:
        raise ValueError(f"unknown user_data key: {key!r}")
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)  # JSON exports often carry phones and zips as numbers
    if not isinstance(value, str) or not value.strip():
        return None
    if key == "em":
        return value.strip().lower()
    if key == "ph":
        return _phone(value, country)
    if key in ("fn", "ln", "ct"):
        return _compact(value) or None
    if key == "ge":
        return _gender(value)
    if key == "db":
        return _birthdate(value)
    if key == "st":
        return _state(value, country)
    if key == "zp":
        return _zip(value, country)
    if key == "country":
        return normalize_country(value)
    return value.strip()  # plain keys: fbc's click id is case-sensitive, so nothing but the trim


def hash_value(key: str, value: str | None, country: str | None = None) -> str | None:
    """The correct hash of a plaintext value; None for unusable values and never-hashed keys."""
    normalized = normalize(key, value, country)
    if normalized is None or key not in (*HASH_KEYS, "external_id"):
        return None
    return sha256_hex(normalized)


def mistake_variants(key: str, value: str | None, country: str | None = None) -> list[tuple[str, str]]:
    """(diagnosis, hash) pairs a sender produces by a common mistake, none equal to the correct hash."""
    return hash_variants(key, value, country)[1:]


def hash_variants(key: str, value: str | None, country: str | None = None) -> list[tuple[str, str]]:
    """("correct", hash) then mistake_variants' pairs in one pass (a phone is parsed once); [] if unusable."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)  # as normalize() reads it
    national = None
    if key == "ph" and isinstance(value, str) and value.strip():
        normalized, national = phone_forms(value, country)
        correct = sha256_hex(normalized) if normalized is not None else None
    else:
        correct = hash_value(key, value, country)
    if correct is None or value is None:
        return []
    value = str(value)
    trimmed = value.strip()
    pairs: list[tuple[str, str]] = []
    # Only offered when the value has capitals / surrounding whitespace, so that the diagnosis
    # names a mistake the value could actually suffer.
    if key in _CASE_KEYS and trimmed != trimmed.lower():
        pairs.append(("not_lowercased", sha256_hex(trimmed)))
    if key != "ph" and value != trimmed:  # a phone's whitespace goes with all other non-digits
        pairs.append(("not_trimmed", sha256_hex(value if key == "external_id" else value.lower())))
    if national is not None:                # a phone that parsed
        pairs.append(("missing_country_code", sha256_hex(national)))
        if not national.startswith("0"):  # the trunk-prefixed form as dialled at home
            pairs.append(("missing_country_code", sha256_hex("0" + national)))
    pairs.append(("double_hashed", sha256_hex(correct)))
    seen = {correct}
    result = [("correct", correct)]
    for diagnosis, digest in pairs:
        if digest not in seen:
            seen.add(digest)
            result.append((diagnosis, digest))
    return result
