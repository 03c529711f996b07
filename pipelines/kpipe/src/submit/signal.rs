//! SIGINT / SIGTERM during a submission.
//!
//! The handlers are installed by [`Signals::install`] before anything is
//! created on the cluster: a signal that arrives while the Workflow or run is
//! being created is kept, and whoever created it stops it before kpipe exits
//! (the default action would kill kpipe and leave it running).

use futures::FutureExt as _;

pub(crate) use crate::run::Interrupt;

/// SIGINT and SIGTERM, caught from the moment [`Signals::install`] returns.
#[derive(Debug)]
pub(crate) struct Signals {
    #[cfg(unix)]
    handlers: Option<(tokio::signal::unix::Signal, tokio::signal::unix::Signal)>,
}

impl Signals {
    /// Installs the handlers (inside a tokio runtime). If they cannot be
    /// installed, says so once; [`Signals::recv`] then never resolves.
    pub(crate) fn install() -> Self {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            match (
                signal(SignalKind::interrupt()),
                signal(SignalKind::terminate()),
            ) {
                (Ok(int), Ok(term)) => Self {
                    handlers: Some((int, term)),
                },
                (Err(e), _) | (_, Err(e)) => {
                    eprintln!(
                        "warning: cannot handle SIGINT/SIGTERM ({e}); the workflow will not be stopped on exit"
                    );
                    Self { handlers: None }
                }
            }
        }
        #[cfg(not(unix))]
        {
            Self {}
        }
    }

    /// Resolves with the next SIGINT or SIGTERM (one that arrived since
    /// [`Signals::install`] included).
    pub(crate) async fn recv(&mut self) -> Interrupt {
        #[cfg(unix)]
        {
            match &mut self.handlers {
                Some((int, term)) => tokio::select! {
                    _ = int.recv() => Interrupt::Int,
                    _ = term.recv() => Interrupt::Term,
                },
                None => std::future::pending().await,
            }
        }
        #[cfg(not(unix))]
        {
            match tokio::signal::ctrl_c().await {
                Ok(()) => Interrupt::Int,
                Err(e) => {
                    eprintln!(
                        "warning: cannot handle Ctrl-C ({e}); the workflow will not be stopped on exit"
                    );
                    std::future::pending().await
                }
            }
        }
    }

    /// A signal that has already arrived, without waiting.
    pub(crate) fn pending(&mut self) -> Option<Interrupt> {
        self.recv().now_or_never()
    }
}
