//! Integration tests of the step implementations, one test binary.

/// `kpipe-step bot` with signed webhooks and a fake GitHub; Prism contract.
mod bot;
/// `build-image` with real OCI tools and a real registry.
mod build_image;
/// Every parser of outside input under generated and mutated inputs.
mod fuzz;
/// `checkout` and `commit-changes` with real git repositories.
mod git;
/// `train` and `predict` end to end, and their errors.
mod model;
/// Release-note extraction on real notes in the PR template.
mod release_notes;
/// A local server replaying recorded GitHub responses.
mod replay;
/// `rollout` through kube's client against a fake API server.
mod rollout;
/// Every step's command line: rendered by the compiler, parsed by the binary.
mod roundtrip;
/// `kpipe-step serve` over HTTP, and the real KServe client.
mod serve;
/// TF-IDF and SelectKBest against scikit-learn's golden values.
mod tfidf_parity;
/// `update-api` and `update-data` against the replay server.
mod update_api;
