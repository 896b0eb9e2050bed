//! The rest of `domain::rules::Action` in Megaplan: the call card (T12–T14), the recording (T13),
//! client updates (4.1–4.2), communication (4.3) and deal (4.5). Each is idempotent by nature (it
//! sets a state) or guarded by the idempotency record plus a lookup, like todos and clients.

use std::collections::BTreeMap;

use domain::call::Direction;
use domain::ids::{CallSessionId, Extension, MegaplanId};
use domain::rules::{Action, CallType, CardState, ClientRef};
use megaplan::{
    CallInfoFields, CallState, ContractorKind, ContractorUpdate, Link, NewDeal, NewTodo, TodoWhen,
};
use serde_json::Value;

use super::executor::{ActionError, Claim, Done, Executor, find_by_marker};
use super::interim_rules::CardClaim;

fn call_type(t: CallType) -> megaplan::CallType {
    match t {
        CallType::In => megaplan::CallType::In,
        CallType::Out => megaplan::CallType::Out,
        CallType::Miss => megaplan::CallType::Miss,
        CallType::Fail => megaplan::CallType::Fail,
    }
}

/// The employee and their extension on the employee's side of the call (T12: `toUser` for
/// inbound, `fromUser` for outbound; the extension in the matching phone field).
fn employee_side(
    f: &mut CallInfoFields,
    direction: Direction,
    employee: Option<&MegaplanId>,
    extension: Option<&Extension>,
) {
    let user = employee.map(|e| Link::employee(e.as_str()));
    let ext = extension.map(|e| e.as_str().to_owned());
    match direction {
        Direction::In => {
            f.to_user = user;
            if ext.is_some() {
                f.to_phone = ext;
            }
        }
        Direction::Out => {
            f.from_user = user;
            if ext.is_some() {
                f.from_phone = ext;
            }
        }
    }
}

/// Megaplan's «no such call» means the card is not there yet: an earlier event is still on its way.
fn not_yet(e: megaplan::Error) -> ActionError {
    match e {
        megaplan::Error::NotFound { message } => ActionError::Transient {
            message: format!("the call is not in Megaplan yet: {message}"),
            retry_after: None,
        },
        other => other.into(),
    }
}

impl Executor<'_> {
    pub(super) async fn run_more(
        &mut self,
        key: &str,
        action: &Action,
    ) -> Result<Done, ActionError> {
        match action {
            Action::UpdateClientExtraFields {
                client,
                extra_fields,
                ..
            } => {
                let update = ContractorUpdate {
                    extra_fields: strings(extra_fields),
                    ..ContractorUpdate::default()
                };
                self.update_client(key, client, &update).await
            }
            Action::SetClientResponsible {
                client,
                responsible,
                ..
            } => {
                let update = ContractorUpdate {
                    responsibles: Some(vec![Link::employee(responsible.as_str())]),
                    ..ContractorUpdate::default()
                };
                self.update_client(key, client, &update).await
            }
            Action::ShowCallCard {
                call_session_id,
                direction,
                phone,
                employee,
                extension,
                virtual_number,
                client,
                at,
            } => {
                let mut f = CallInfoFields {
                    provider_id: Some(call_session_id.to_string()),
                    kind: Some(match direction {
                        Direction::In => megaplan::CallType::In,
                        Direction::Out => megaplan::CallType::Out,
                    }),
                    state: Some(CallState::Calling),
                    time_from: Some((*at).into()),
                    ..CallInfoFields::default()
                };
                let contact = phone.as_ref().map(|p| p.as_e164().to_owned());
                match direction {
                    Direction::In => {
                        f.from_phone = contact;
                        f.to_phone = virtual_number.as_ref().map(|p| p.as_e164().to_owned());
                    }
                    Direction::Out => f.to_phone = contact,
                }
                employee_side(&mut f, *direction, Some(employee), extension.as_ref());
                self.show_card(key, *call_session_id, f, client.as_ref())
                    .await
            }
            Action::UpdateCallCard {
                call_session_id,
                state,
                employee,
                extension,
                client,
                at,
                ..
            } => {
                let mut f = CallInfoFields::default();
                match state {
                    CardState::Calling => f.state = Some(CallState::Calling),
                    CardState::Talking => f.state = Some(CallState::Talking),
                    CardState::Finished(t) => {
                        f.state = Some(CallState::Finished);
                        f.kind = Some(call_type(*t));
                        f.time_to = Some((*at).into());
                    }
                }
                let direction = match state {
                    CardState::Finished(CallType::Out | CallType::Fail) => Direction::Out,
                    _ => Direction::In,
                };
                employee_side(&mut f, direction, employee.as_ref(), extension.as_ref());
                self.update_card(key, *call_session_id, f, client.as_ref())
                    .await
            }
            Action::AttachRecording {
                call_session_id,
                url,
            } => self.attach_recording(key, *call_session_id, url).await,
            Action::CreateCommunication {
                call_session_id,
                client,
                responsible,
                start,
                end,
                name,
                description,
                ..
            } => {
                let category = self
                    .mp
                    .todo_categories()
                    .await?
                    .into_iter()
                    .find(|c| c.master_type.as_deref() == Some("call"))
                    .map(|c| Link::new("TodoCategory", c.id));
                let new = NewTodo {
                    name: name.clone(),
                    description: Some(description.clone()),
                    responsible: responsible.as_ref().map(|r| Link::employee(r.as_str())),
                    category,
                    when: Some(TodoWhen::Time {
                        from: (*start).into(),
                        to: (*end).into(),
                    }),
                    ..NewTodo::default()
                };
                // Same text as domain's communication marker (`rules::text`), which is not public.
                let marker = format!("[uis:communication:{call_session_id}]");
                self.create_todo(key, client.as_ref(), new, &marker).await
            }
            Action::CreateDeal {
                client,
                responsible,
                program,
                name,
                description,
                marker,
                ..
            } => {
                let mut new = NewDeal::in_program(program.as_str());
                new.name = Some(name.clone());
                new.description = Some(description.clone());
                new.manager = responsible.as_ref().map(|r| Link::employee(r.as_str()));
                self.create_deal(key, client.as_ref(), new, marker).await
            }
            // Handled by `Executor::run`.
            Action::EnsureClient { .. } | Action::LogCall { .. } | Action::CreateTodo { .. } => {
                Err(ActionError::Permanent(format!(
                    "«{}» reached the wrong executor",
                    action.describe()
                )))
            }
        }
    }

    async fn update_client(
        &mut self,
        key: &str,
        client: &ClientRef,
        update: &ContractorUpdate,
    ) -> Result<Done, ActionError> {
        let Some(link) = self.client(Some(client)).await? else {
            return Ok(Done {
                megaplan: None,
                how: "no client with this phone",
            });
        };
        let kind =
            ContractorKind::from_content_type(&link.content_type).unwrap_or(ContractorKind::Human);
        self.mp.update_contractor(kind, &link.id, update).await?;
        self.record_done(key, &link).await?;
        Ok(Done {
            megaplan: Some(link),
            how: "updated",
        })
    }

    /// `POST /callInfo` once per call: a repeat finds the card by its provider id. The card is
    /// posted while its client is looked up, and linked to it after — it pops up the sooner.
    async fn show_card(
        &mut self,
        key: &str,
        call: CallSessionId,
        f: CallInfoFields,
        client: Option<&ClientRef>,
    ) -> Result<Done, ActionError> {
        let claim = match self.card {
            CardClaim::Fresh => Claim::First,
            CardClaim::Claim | CardClaim::LookUp => self.start(key).await?,
        };
        let maybe_created = match claim {
            Claim::Done(d) => return Ok(d),
            Claim::First => self.card == CardClaim::LookUp,
            Claim::MaybeCreated => true,
        };
        let out = async {
            let existing = if maybe_created {
                match self.mp.call_info_by_provider(&call.to_string()).await {
                    Ok(c) => Some(c),
                    Err(megaplan::Error::NotFound { .. }) => None,
                    Err(e) => return Err(e.into()),
                }
            } else {
                None
            };
            let (card, owner, how) = match existing {
                Some(c) => (c, self.client(client).await?, "found in Megaplan"),
                None => {
                    let (card, owner) =
                        tokio::join!(self.mp.create_call_info(&f), self.client(client));
                    (card?, owner?, "created")
                }
            };
            if let Some(o) = &owner {
                self.mp.set_call_contractor(&card.id, o).await?;
            }
            Ok::<_, ActionError>((Link::new("CallInfo", card.id), how))
        }
        .await;
        self.settle(key, out).await
    }

    /// Sets the card's state: the same state twice is the same card.
    async fn update_card(
        &mut self,
        key: &str,
        call: CallSessionId,
        f: CallInfoFields,
        client: Option<&ClientRef>,
    ) -> Result<Done, ActionError> {
        let owner = self.client(client).await?;
        let card = self
            .mp
            .update_call_info(&call.to_string(), &f)
            .await
            .map_err(not_yet)?;
        if let Some(o) = &owner
            && f.state == Some(CallState::Finished)
        {
            self.mp.set_call_contractor(&card.id, o).await?;
        }
        let link = Link::new("CallInfo", card.id);
        self.record_done(key, &link).await?;
        Ok(Done {
            megaplan: Some(link),
            how: "updated",
        })
    }

    /// Adds the link to `recordLinks` unless it is there (T13); also after the call finished.
    async fn attach_recording(
        &mut self,
        key: &str,
        call: CallSessionId,
        url: &str,
    ) -> Result<Done, ActionError> {
        let card = self
            .mp
            .call_info_by_provider(&call.to_string())
            .await
            .map_err(not_yet)?;
        if !card.record_links.iter().any(|l| l == url) {
            let mut links = card.record_links.clone();
            links.push(url.to_owned());
            let f = CallInfoFields {
                record_links: Some(links),
                ..CallInfoFields::default()
            };
            self.mp.update_call_info(&call.to_string(), &f).await?;
        }
        let link = Link::new("CallInfo", card.id);
        self.record_done(key, &link).await?;
        Ok(Done {
            megaplan: Some(link),
            how: "updated",
        })
    }

    async fn create_deal(
        &mut self,
        key: &str,
        client: Option<&ClientRef>,
        mut new: NewDeal,
        marker: &str,
    ) -> Result<Done, ActionError> {
        let (owner, claim) = self.claim_with_client(key, client).await?;
        new.contractor = owner;
        let maybe_created = match claim {
            Claim::Done(d) => return Ok(d),
            Claim::First => false,
            Claim::MaybeCreated => true,
        };
        let out = async {
            if maybe_created
                && let Some(id) = find_by_marker(self.mp, self.http, "deal", "Deal", marker).await?
            {
                return Ok((Link::new("Deal", id), "found in Megaplan"));
            }
            let deal = self.mp.create_deal(&new).await?;
            Ok::<_, ActionError>((Link::new("Deal", deal.id), "created"))
        }
        .await;
        self.settle(key, out).await
    }
}

fn strings(m: &BTreeMap<String, String>) -> BTreeMap<String, Value> {
    m.iter()
        .map(|(k, v)| (k.clone(), Value::String(v.clone())))
        .collect()
}
