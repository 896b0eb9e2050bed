//! One module per page. Places kept for the pages that come next: the event log (O1, replay O2),
//! health (O3) and rule preview (O4) each get a module here and a `<Route>` in `App`.

pub mod demo;
pub mod events;
pub mod events_api;
pub mod health;
pub mod preview;
pub mod settings;
pub mod sign_in;
