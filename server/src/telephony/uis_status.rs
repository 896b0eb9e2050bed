//! The UIS status of an account's employees, for the Megaplan widget's do-not-disturb watch (T15).
//!
//! Every open Megaplan page asks every minute, and UIS counts each Data API call against the
//! account's daily points (tariff-dependent, a few hundred on small ones): so UIS is read at most
//! once per `refresh` per account, and all the account's users share that read. The status list
//! itself changes rarely and is read once an hour.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use moka::future::Cache;
use uis::DataApiClient;
use uis::data_api::Status;

/// How long the status list is kept.
const STATUS_LIST_TTL: Duration = Duration::from_secs(3600);

/// An employee's status: the mnemonic (`do_not_disturb`, `available`, … or `unknown`) and its id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmployeeStatus {
    pub mnemonic: String,
    pub status_id: Option<i64>,
}

impl EmployeeStatus {
    pub fn dnd(&self) -> bool {
        self.mnemonic == "do_not_disturb"
    }
}

pub struct StatusBoards {
    /// Account → UIS employee → status, as UIS said at most `refresh` ago.
    boards: Cache<String, Arc<HashMap<i64, EmployeeStatus>>>,
    statuses: Cache<String, Arc<Vec<Status>>>,
}

impl std::fmt::Debug for StatusBoards {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StatusBoards").finish_non_exhaustive()
    }
}

impl StatusBoards {
    pub fn new(refresh: Duration) -> Arc<StatusBoards> {
        Arc::new(StatusBoards {
            boards: Cache::builder()
                .max_capacity(10_000)
                .time_to_live(refresh)
                .build(),
            statuses: Cache::builder()
                .max_capacity(10_000)
                .time_to_live(STATUS_LIST_TTL)
                .build(),
        })
    }

    /// The account's status list (`get.statuses`), read once an hour; concurrent askers share a read.
    pub async fn statuses(
        &self,
        account_id: &str,
        data: &DataApiClient,
    ) -> Result<Arc<Vec<Status>>, Arc<uis::Error>> {
        self.statuses
            .try_get_with(account_id.to_owned(), async {
                data.get_statuses().await.map(Arc::new)
            })
            .await
    }

    /// The employee's status now (as of at most `refresh` ago); `None` when UIS has no such employee.
    pub async fn status_of(
        &self,
        account_id: &str,
        data: &DataApiClient,
        uis_employee_id: i64,
    ) -> Result<Option<EmployeeStatus>, Arc<uis::Error>> {
        let statuses = self.statuses(account_id, data).await?;
        let board = self
            .boards
            .try_get_with(account_id.to_owned(), async {
                let employees = data.employees().await?;
                Ok::<_, uis::Error>(Arc::new(
                    employees
                        .into_iter()
                        .map(|e| (e.id, status(&statuses, e.status_id, e.status)))
                        .collect(),
                ))
            })
            .await?;
        if let Some(s) = board.get(&uis_employee_id) {
            return Ok(Some(s.clone()));
        }
        // Created in UIS since the board was read (an employee sync), or gone: ask for it alone.
        let Some(e) = data.employee(uis_employee_id).await? else {
            return Ok(None);
        };
        self.forget(account_id).await;
        Ok(Some(status(&statuses, e.status_id, e.status)))
    }

    /// The account's statuses changed here (the widget set one): the next read asks UIS.
    pub async fn forget(&self, account_id: &str) {
        self.boards.invalidate(account_id).await;
    }
}

/// `status_id` is current; the deprecated `status` is the mnemonic itself.
fn status(statuses: &[Status], status_id: Option<i64>, legacy: Option<String>) -> EmployeeStatus {
    let mnemonic = match status_id {
        Some(id) => statuses
            .iter()
            .find(|s| s.id == id)
            .and_then(|s| s.mnemonic.clone()),
        None => legacy,
    };
    EmployeeStatus {
        mnemonic: mnemonic.unwrap_or_else(|| "unknown".into()),
        status_id,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listed(id: i64, mnemonic: &str) -> Status {
        Status {
            id,
            mnemonic: Some(mnemonic.into()),
            ..Status::default()
        }
    }

    #[test]
    fn the_status_id_is_read_against_the_list_and_only_do_not_disturb_is_dnd() {
        let list = [listed(1, "available"), listed(3, "do_not_disturb")];
        let dnd = status(&list, Some(3), Some("available".into()));
        assert_eq!(dnd.mnemonic, "do_not_disturb");
        assert!(dnd.dnd());
        assert!(!status(&list, Some(1), None).dnd());
        // An id UIS does not list, and an employee without an id: the old field, else unknown.
        assert_eq!(status(&list, Some(9), None).mnemonic, "unknown");
        assert_eq!(status(&list, None, Some("break".into())).mnemonic, "break");
        assert_eq!(status(&list, None, None).mnemonic, "unknown");
    }

    fn reads(emu: &uis::emulator::Emulator, method: &str) -> usize {
        emu.requests().iter().filter(|m| *m == method).count()
    }

    #[tokio::test]
    async fn uis_is_read_once_per_refresh_for_the_whole_account_and_asked_alone_for_a_newcomer() {
        let emu = uis::emulator::Emulator::start(uis::emulator::EmulatorConfig::default()).unwrap();
        let data = DataApiClient::new(&emu.data_api_url(), emu.api_key()).unwrap();
        let boards = StatusBoards::new(Duration::from_secs(60));
        let staff: Vec<i64> = emu.employees().iter().map(|e| e.id).collect();
        assert!(staff.len() >= 2);
        for id in &staff {
            let s = boards.status_of("acme", &data, *id).await.unwrap().unwrap();
            assert_eq!(s.mnemonic, "available");
        }
        assert_eq!(
            reads(&emu, "get.employees"),
            1,
            "one read for every employee"
        );
        assert_eq!(reads(&emu, "get.statuses"), 1);

        // Created in UIS after the read (an employee sync): asked for alone, then the board is read anew.
        let newcomer = data
            .create_employee(&uis::data_api::NewEmployee {
                last_name: "Новикова".into(),
                phone_numbers: vec![uis::data_api::EmployeePhone {
                    phone_number: "79160000999".into(),
                    ..Default::default()
                }],
                ..Default::default()
            })
            .await
            .unwrap();
        let s = boards.status_of("acme", &data, newcomer).await.unwrap();
        assert_eq!(s.map(|s| s.mnemonic).as_deref(), Some("available"));
        assert_eq!(reads(&emu, "get.employees"), 2);
        boards.status_of("acme", &data, newcomer).await.unwrap();
        assert_eq!(
            reads(&emu, "get.employees"),
            3,
            "the board was read again, with the newcomer"
        );
        boards.status_of("acme", &data, newcomer).await.unwrap();
        assert_eq!(reads(&emu, "get.employees"), 3);

        // Gone from UIS: none, after asking.
        assert_eq!(
            boards.status_of("acme", &data, 999_999).await.unwrap(),
            None
        );
        // Another account has a board of its own; `forget` drops only the account's.
        boards.status_of("other", &data, staff[0]).await.unwrap();
        assert_eq!(reads(&emu, "get.employees"), 5);
        boards.forget("acme").await;
        boards.status_of("other", &data, staff[0]).await.unwrap();
        assert_eq!(reads(&emu, "get.employees"), 5);
        boards.status_of("acme", &data, staff[0]).await.unwrap();
        assert_eq!(reads(&emu, "get.employees"), 6);
        assert_eq!(reads(&emu, "get.statuses"), 2, "once per account and hour");
        emu.shutdown().await;
    }
}
