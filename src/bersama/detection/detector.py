"""The detectors as used at run time: load once, score batches, explain.

Why one object: the artefact (arrays + JSON) is read once per process and
cached (`default_detector`), because a CLI call or an API request must not pay
the load again; scoring works on batches, since vectorising many texts at once
is several times faster than one by one.  Results are plain dataclasses with
`as_dict()` so the CLI `--json` output and the API share one shape
(documented in docs/detection.md).  The cyclic garbage collector is paused
while a batch is scored (`bersama.gcpause`): a batch allocates some hundred
thousand short-lived objects but no cycles to speak of, and the collector's
passes over them cost ~7% of a batch with entities.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from bersama.detection.features import HASHER, MAX_CHARS, FeatureSpec, Featurizer
from bersama.detection.language import detect_languages
from bersama.detection.lexicon import score_types_many
from bersama.detection.linear import REVIEW, THRESHOLD, LinearModel, band
from bersama.detection.normalise import normalise_many
from bersama.detection.url import UrlFeaturizer, brand_domains, lookalike
from bersama.errors import ConfigurationError, InvalidInput, PayloadTooLarge, field_path
from bersama.gcpause import collection_paused

if TYPE_CHECKING:
    from bersama.config import Settings

MAX_TEXT_BYTES = 64 * 1024
MAX_URL_CHARS = 8192
TOP_FEATURES = 8
CHUNK_CHARS = 256 * 1024


def check_text(text: object, field: str = "text") -> str:
    """Refuse what cannot be scored, naming the field; accept anything else."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as e:
            raise InvalidInput(f"{field} is not valid UTF-8 (byte {e.start})", field=field) from e
    if not isinstance(text, str):
        raise InvalidInput(f"{field} must be a string", field=field, value=repr(text)[:100])
    if "\x00" in text:
        raise InvalidInput(f"{field} contains NUL bytes (binary data?)", field=field)
    try:
        size = len(text.encode("utf-8"))
    except UnicodeEncodeError as e:  # a lone surrogate: JSON "\ud800", or undecodable argv
        raise InvalidInput(f"{field} is not valid UTF-8 (unpaired surrogate or undecodable "
                           f"byte at character {e.start})", field=field) from e
    if size > MAX_TEXT_BYTES:
        raise PayloadTooLarge(f"{field} is over {MAX_TEXT_BYTES} bytes", field=field)
    if not text.strip():
        raise InvalidInput(f"{field} is empty", field=field)
    return text


class Feature(NamedTuple):
    """One column's contribution (coefficient x value); tuples, as thousands are made a batch."""

    name: str
    weight: float


class Entity(NamedTuple):
    kind: str
    key: str
    display: str


@dataclass
class Result:
    kind: str
    """`message` or `url`."""
    label: str
    probability: float
    band: str
    language: str
    features: list[Feature]
    entities: list[Entity]
    model_version: str
    scam_types: list[dict[str, Any]] = field(default_factory=list)
    tokens: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    amounts: list[tuple[str, str]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind, "label": self.label, "probability": round(self.probability, 4),
            "band": self.band, "language": self.language, "scam_types": self.scam_types,
            "top_features": [{"name": f.name, "weight": round(f.weight, 4)}
                             for f in self.features],
            "tokens": self.tokens,
            "entities": [{"kind": e.kind, "key": e.key, "display": e.display}
                         for e in self.entities],
            "amounts": [{"amount": a, "currency": c} for a, c in self.amounts],
            "model_version": self.model_version, "notes": self.notes,
        }


# Every observable and amount holds a digit, `@`, a dot or a colon (or a defanged
# "dot"/"at"): texts with none of them skip the costly extraction.
_TOKEN_RE = re.compile(r"__[A-Z]+__")
_MAY_HOLD_ENTITY = re.compile(r"[\d@.:\uff1a]|dot|\(at\)|\[at\]", re.IGNORECASE)


_Observables = Callable[[str], tuple[list[Entity], list[tuple[str, str]]]]


def _observables(country: str | None) -> _Observables:
    """Text -> (normalised observables, money amounts), from the shared extractors of
    `bersama.observables` (imported on first use); `country` lets national-format phone
    numbers become E.164 (without it only numbers written with their country code are
    found)."""
    from bersama.observables.amounts import extract_amounts
    from bersama.observables.extract import extract_entities

    def found(text: str) -> tuple[list[Entity], list[tuple[str, str]]]:
        if _MAY_HOLD_ENTITY.search(text) is None:
            return [], []
        return ([Entity(o.kind.value, o.key, o.display or o.key)
                 for o in extract_entities(text, country=country)],
                [(str(a), c) for a, c in extract_amounts(text)])

    return found


class Detector:
    def __init__(self, directory: Path) -> None:
        try:
            meta = json.loads((directory / "meta.json").read_text("utf-8"))
            self.message = LinearModel.load(directory / "message.npz")
            self.url = LinearModel.load(directory / "url.npz")
        except (OSError, ValueError, KeyError) as e:
            raise ConfigurationError(f"cannot load detection model from {directory}: {e}",
                                     field="model_dir", value=str(directory)) from e
        self.version: str = meta["version"]
        self.threshold: float = float(meta.get("threshold", THRESHOLD))
        self.trained_languages: set[str] = set(meta["trained_languages"])
        fs = meta["message_features"]
        if fs.get("hasher") != HASHER:
            raise ConfigurationError(
                f"detection model in {directory} was made for another feature hasher "
                f"({fs.get('hasher', 'scikit-learn')!r}, this code has {HASHER!r}): retrain it "
                "with `bersama model train`", field="model_dir", value=str(directory))
        spec = FeatureSpec(fs["char_bits"], fs["word_bits"], tuple(fs["char_ngrams"]),
                           tuple(fs["word_ngrams"]))
        self.featurizer = Featurizer(spec, self.message.idf)
        self.url_featurizer = UrlFeaturizer(int(meta["url_char_bits"]))
        self.allow: set[str] = set(brand_domains()) | _bundled_list("url_allowlist.txt")
        self.block: set[str] = _bundled_list("url_blocklist.txt")

    def add_lists(self, allow: set[str], block: set[str]) -> None:
        """Add a node's own lists (Settings paths) to the bundled ones."""
        self.allow |= allow
        self.block |= block

    @collection_paused()
    def messages(self, texts: list[str], *, entities: bool = True,
                 country: str | None = None) -> list[Result]:
        """Score a batch of texts; results do not depend on the rest of the batch.

        `country` (ISO 3166-1 alpha-2, e.g. the caller's agency's) is the default
        country for phone numbers written without a country code.

        Long batches are cut into pieces of at most `CHUNK_CHARS` characters, which
        bounds the memory of the vectorised steps (1,000 texts of 64 KB would
        otherwise make arrays of hundreds of MB)."""
        checked = [check_text(t, field_path("items", i)) for i, t in enumerate(texts)]
        if country is not None:
            import phonenumbers

            country = country.strip().upper()
            if country not in phonenumbers.SUPPORTED_REGIONS:
                raise InvalidInput(f"unknown country code {country!r}", field="country",
                                   value=country)
        out: list[Result] = []
        start, size = 0, 0
        for i, t in enumerate(checked):
            size += min(len(t), MAX_CHARS)
            if size > CHUNK_CHARS and i > start:
                out += self._messages(checked[start:i], entities, country)
                start, size = i, min(len(t), MAX_CHARS)
        if start < len(checked):
            out += self._messages(checked[start:], entities, country)
        return out

    def _messages(self, texts: list[str], entities: bool, country: str | None) -> list[Result]:
        """Score one batch: every step below runs once for the whole batch, not per text."""
        norms = normalise_many(texts)
        batch = self.featurizer.analyse([n.tokenised for n in norms])
        x = self.featurizer.transform(batch)
        probs = self.message.proba(x).tolist()
        tops = self.message.top_contributions(x, TOP_FEATURES)
        names = self.featurizer.names(batch, [[j for j, _ in t] for t in tops])
        # Language from the folded text without its typed tokens: shorter (so faster) and
        # free of URLs and numbers, which only confuse the language model.
        langs = detect_languages(_TOKEN_RE.sub(" ", "\x00".join(n.tokenised for n in norms))
                                 .split("\x00"))
        typed = [i for i, p in enumerate(probs) if p >= REVIEW]
        types_of = dict(zip(typed, score_types_many([norms[i].tokenised for i in typed]),
                            strict=True))
        observables = _observables(country) if entities else None
        out = []
        for i, n in enumerate(norms):
            p = probs[i]
            lang = langs[i].code
            b = band(p)
            notes = []
            if lang not in self.trained_languages and b == "likely":
                b = "review"
                notes.append(f"no training data for language {lang!r}: band capped")
            types = [{"type": t.scam_type.value, "probability": t.probability,
                      "source": t.source, "cues": list(t.cues)} for t in types_of.get(i, ())]
            named = names[i]
            feats = [Feature(named.get(j) or f"#{j}", w) for j, w in tops[i]]
            ents, amounts = observables(n.cleaned) if observables else ([], [])
            out.append(Result(
                "message", "scam" if p >= self.threshold else "not-scam", p, b, lang, feats,
                ents, self.version, types, sorted({s.token for s in n.spans}), notes, amounts))
        return out

    @collection_paused()
    def urls(self, urls: list[str]) -> list[Result]:
        checked = []
        for i, raw in enumerate(urls):
            name = field_path("items", i)
            u = check_text(raw, name).strip()
            if len(u) > MAX_URL_CHARS:
                raise PayloadTooLarge(f"{name} is a URL over {MAX_URL_CHARS} characters",
                                      field=name, value=u[:100])
            checked.append(u)
        x, parts = self.url_featurizer.transform(checked)
        probs = self.url.proba(x).tolist()
        tops = self.url.top_contributions(x, TOP_FEATURES)
        names_of = self.url_featurizer.names_many([[j for j, _ in t] for t in tops], parts)
        out = []
        for i, p_ in enumerate(parts):
            p = probs[i]
            notes = []
            kind, brand = lookalike(p_.host, p_.registered, p_.domain_label)
            if kind and kind != "owned":
                notes.append(f"{kind} of {brand}")
            labels = p_.host.split(".")
            parents = {".".join(labels[i:]) for i in range(len(labels))}
            if parents & self.block:
                p, notes = 1.0, [*notes, "on the block list"]
            elif p_.registered in self.allow or p_.suffix in self.allow:
                p, notes = 0.0, [*notes, "on the allow list"]
            feats = [Feature(nm, w) for nm, (_, w) in zip(names_of[i], tops[i], strict=True)]
            ents = []
            try:
                from bersama.observables.url import url as url_obs

                o = url_obs(p_.raw)
                ents = [Entity(o.kind.value, o.key, o.display or o.key)]
            except InvalidInput as e:
                notes.append(f"not a valid URL for correlation: {e.detail}")
            out.append(Result("url", "phishing" if p >= THRESHOLD else "not-phishing",
                              p, band(p), "und", feats, ents, self.version, notes=notes))
        return out


def _bundled_list(name: str) -> set[str]:
    text = resources.files("bersama.detection").joinpath(f"data/{name}").read_text("utf-8")
    return {ln.split("#", 1)[0].strip().lower() for ln in text.splitlines()
            if ln.split("#", 1)[0].strip()}


def default_dir() -> Path:
    return Path(str(resources.files("bersama.detection").joinpath("artefacts")))


@lru_cache(maxsize=4)
def load_detector(directory: Path | None = None) -> Detector:
    """The detector for `directory` (default: the shipped artefact), loaded once."""
    return Detector(directory or default_dir())


def configured_detector(settings: Settings) -> Detector:
    """The node's detector: its model directory and its local URL allow and block lists."""
    det = load_detector(settings.model_dir)
    det.add_lists(read_list(settings.detection_allowlist), read_list(settings.detection_blocklist))
    return det


def read_list(path: Path | None) -> set[str]:
    """A domain list file: one registered domain a line, `#` comments."""
    if path is None:
        return set()
    try:
        lines = path.read_text("utf-8").splitlines()
    except OSError as e:
        raise ConfigurationError(f"cannot read URL list {path}: {e}", value=str(path)) from e
    return {ln.split("#", 1)[0].strip().lower() for ln in lines if ln.split("#", 1)[0].strip()}

