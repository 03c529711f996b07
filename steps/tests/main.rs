//! Integration tests of the step implementations, one test binary.

/// `train` and `predict` end to end, and their errors.
mod model;
/// TF-IDF and SelectKBest against scikit-learn's golden values.
mod tfidf_parity;
