//! Integration tests of the step implementations, one test binary.

/// TF-IDF and SelectKBest against scikit-learn's golden values.
mod tfidf_parity;
