"""Fitted TF-IDF vectorizers' `transform`: the same matrices, without Python per n-gram.

scikit-learn analyses each document in Python, one slice or join and one vocabulary
lookup per n-gram: about 60 µs a product title, most of a batch's time. Here the
documents are split into words once (`str.lower().split()`, as the vectorizers do), the
words factorized in C, and each distinct word (or pair of neighbouring words) is looked
up once; the counts are assembled as sparse matrices in SciPy's C, and the weighting
follows `TfidfTransformer.transform` step by step. Tests hold every entry equal to the
vectorizer's own `transform`, on the training titles and on awkward text.

- `CharWbTransform`: character n-grams within words (`analyzer="char_wb"`). A document's
  n-grams are its words' (each padded with a space) put together, so the counts are
  (documents x words) @ (words x n-grams), and each word's n-grams are kept for later
  calls: a batch's chunks analyse a catalogue's recurring words once.
- `WordBigramTransform`: words and pairs of neighbouring words (`tokenizer=str.split`,
  `ngram_range=(1, 2)`).
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import chain
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.utils.sparsefuncs_fast import inplace_csr_row_normalize_l2

# The settings both reproduce; any other vectorizer is refused rather than misread.
_COMMON = {
    "input": "content",
    "lowercase": True,
    "preprocessor": None,
    "strip_accents": None,
    "stop_words": None,
    "binary": False,
    "use_idf": True,
    "norm": "l2",
}


def _counts(rows: np.ndarray, columns: np.ndarray, shape: tuple[int, int]) -> sparse.csr_matrix:
    """A count matrix: one for each (row, column) pair, repeated pairs summed (SciPy sums
    them converting from coordinates; the indices are left unsorted)."""
    return sparse.csr_matrix((np.ones(len(rows)), (rows, columns)), shape=shape)


class _FittedTfidf:
    def __init__(self, vectorizer: TfidfVectorizer, settings: dict[str, Any]) -> None:
        params = vectorizer.get_params()
        if any(params[name] != value for name, value in {**_COMMON, **settings}.items()):
            raise ValueError(f"{type(self).__name__} cannot reproduce this vectorizer.")
        self.vectorizer = vectorizer
        self.vocabulary: dict[str, int] = vectorizer.vocabulary_

    @staticmethod
    def _words(documents: Sequence[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Each word of the documents as (document, code), and the distinct words."""
        words_of = [document.lower().split() for document in documents]
        lengths = np.fromiter(map(len, words_of), dtype=np.int64, count=len(words_of))
        codes, words = pd.factorize(np.fromiter(chain.from_iterable(words_of), dtype=object))
        return np.repeat(np.arange(len(words_of)), lengths), codes, np.asarray(words)

    def _weighted(self, counts: sparse.csr_matrix) -> sparse.csr_matrix:
        """`TfidfTransformer.transform`'s steps on the counts, in its order."""
        counts.sort_indices()
        if self.vectorizer.sublinear_tf:
            np.log(counts.data, counts.data)
            counts.data += 1.0
        counts.data *= self.vectorizer.idf_[counts.indices]
        inplace_csr_row_normalize_l2(counts)
        return counts


def _word_grams(word: str, low: int, high: int) -> list[str]:
    """`_char_wb_ngrams` of one word: its n-grams padded with a space each side, a word
    shorter than n counted once as a whole."""
    padded = f" {word} "
    grams: list[str] = []
    for n in range(low, high + 1):
        grams.extend(padded[i : i + n] for i in range(max(len(padded) - n, 0) + 1))
        if len(padded) <= n:
            break
    return grams


class CharWbTransform(_FittedTfidf):
    """`vectorizer.transform` of a fitted `char_wb` vectorizer. Keeps the n-grams of up to
    `max_words` words for later calls (then starts again)."""

    def __init__(self, vectorizer: TfidfVectorizer, *, max_words: int = 100_000) -> None:
        super().__init__(vectorizer, {"analyzer": "char_wb"})
        self.max_words = max_words
        self.grams_of: dict[str, np.ndarray] = {}

    def _grams(self, word: str) -> np.ndarray:
        grams = self.grams_of.get(word)
        if grams is None:
            if len(self.grams_of) >= self.max_words:
                self.grams_of = {}
            low, high = self.vectorizer.ngram_range
            grams = np.array(
                [self.vocabulary[g] for g in _word_grams(word, low, high) if g in self.vocabulary],
                dtype=np.int64,
            )
            self.grams_of[word] = grams
        return grams

    def transform(self, documents: Sequence[str]) -> sparse.csr_matrix:
        rows, codes, words = self._words(documents)
        documents_words = _counts(rows, codes, (len(documents), len(words)))
        grams_of = [self._grams(word) for word in words.tolist()]
        lengths = np.fromiter(map(len, grams_of), dtype=np.int64, count=len(grams_of))
        grams = np.concatenate(grams_of) if grams_of else np.empty(0, dtype=np.int64)
        words_grams = _counts(
            np.repeat(np.arange(len(words)), lengths), grams, (len(words), len(self.vocabulary))
        )
        return self._weighted(sparse.csr_matrix(documents_words @ words_grams))


class WordBigramTransform(_FittedTfidf):
    """`vectorizer.transform` of a fitted vectorizer of words and word pairs split by
    `str.split`."""

    def __init__(self, vectorizer: TfidfVectorizer) -> None:
        super().__init__(
            vectorizer, {"analyzer": "word", "tokenizer": str.split, "ngram_range": (1, 2)}
        )

    def _columns(self, grams: list[str]) -> np.ndarray:
        get = self.vocabulary.get
        return np.fromiter((get(gram, -1) for gram in grams), dtype=np.int64, count=len(grams))

    def transform(self, documents: Sequence[str]) -> sparse.csr_matrix:
        rows, codes, words = self._words(documents)
        word_columns = self._columns(words.tolist())[codes]
        # Neighbours: each word but a document's last, with the next one.
        first = np.flatnonzero(rows[:-1] == rows[1:])
        pair_codes, pairs = pd.factorize(codes[first] * len(words) + codes[first + 1])
        left, right = np.divmod(np.asarray(pairs), len(words))
        spelled = [
            f"{a} {b}" for a, b in zip(words[left].tolist(), words[right].tolist(), strict=True)
        ]
        pair_columns = self._columns(spelled)[pair_codes]
        all_rows = np.concatenate([rows, rows[first]])
        all_columns = np.concatenate([word_columns, pair_columns])
        known = all_columns >= 0
        counts = _counts(
            all_rows[known], all_columns[known], (len(documents), len(self.vocabulary))
        )
        return self._weighted(counts)
