//! Where a screen flow keeps its state: one value every transition changes in place, handed to
//! every subscriber (the newest one: a slow listener skips states, never the last), and a lock
//! that runs the flow's commands one at a time, so the list shown is the one after the last
//! command.

use tokio::sync::{Mutex, MutexGuard, watch};

pub(crate) struct ScreenCell<M> {
    state: watch::Sender<M>,
    commands: Mutex<()>,
}

impl<M: Clone> ScreenCell<M> {
    pub(crate) fn new(initial: M) -> Self {
        Self { state: watch::Sender::new(initial), commands: Mutex::new(()) }
    }

    /// Applies one transition and tells every subscriber; returns what the transition returned.
    pub(crate) fn update<R>(&self, transition: impl FnOnce(&mut M) -> R) -> R {
        let mut result = None;
        self.state.send_modify(|state| result = Some(transition(state)));
        result.expect("send_modify runs the transition")
    }

    pub(crate) fn get(&self) -> M {
        self.state.borrow().clone()
    }

    pub(crate) fn subscribe(&self) -> watch::Receiver<M> {
        self.state.subscribe()
    }

    /// Held while one command runs: the next one waits for it.
    pub(crate) async fn command(&self) -> MutexGuard<'_, ()> {
        self.commands.lock().await
    }
}
