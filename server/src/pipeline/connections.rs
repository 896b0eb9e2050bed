//! Which Megaplan an account talks to. The settings work stores credentials (encrypted); until it
//! lands, the worker asks this trait, and tests give it a static table.

use std::collections::HashMap;
use std::sync::RwLock;

use futures::future::BoxFuture;

#[derive(Clone, Debug)]
pub struct MegaplanConnection {
    pub base_url: url::Url,
    pub login: String,
    pub password: String,
}

pub trait MegaplanConnections: Send + Sync + 'static {
    /// The selected credential set of the account; `None` when it has none.
    fn connection<'a>(
        &'a self,
        account_id: &'a str,
    ) -> BoxFuture<'a, Result<Option<MegaplanConnection>, String>>;
}

/// Accounts without any connection: every action fails with «no Megaplan credential».
#[derive(Debug, Default)]
pub struct NoConnections;

impl MegaplanConnections for NoConnections {
    fn connection<'a>(
        &'a self,
        _account_id: &'a str,
    ) -> BoxFuture<'a, Result<Option<MegaplanConnection>, String>> {
        Box::pin(async { Ok(None) })
    }
}

/// A fixed table, for tests and the demo mode.
#[derive(Debug, Default)]
pub struct StaticConnections(RwLock<HashMap<String, MegaplanConnection>>);

impl StaticConnections {
    pub fn insert(&self, account_id: &str, c: MegaplanConnection) {
        self.0
            .write()
            .expect("connections")
            .insert(account_id.to_owned(), c);
    }
}

impl MegaplanConnections for StaticConnections {
    fn connection<'a>(
        &'a self,
        account_id: &'a str,
    ) -> BoxFuture<'a, Result<Option<MegaplanConnection>, String>> {
        let c = self.0.read().expect("connections").get(account_id).cloned();
        Box::pin(async move { Ok(c) })
    }
}
