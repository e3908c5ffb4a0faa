//! Sender outcomes: what real sending MTAs would negotiate with each
//! address, and what they then do with the mail — encrypted and
//! authenticated, encrypted only, in clear text, or not at all.
//!
//! Predicted from what the scan already measured (every accepted version
//! and cipher in the server's order, the groups, the DH size, the
//! certificate, DANE and MTA-STS verdicts) and a [`Profile`] per sender:
//! no connection is made for it. Profiles are data (`senders/*.toml` in
//! the repository, compiled in; `--sender FILE` adds one's own).
//!
//! What it cannot know: a sender's per-destination overrides (Postfix's
//! `smtp_tls_policy_maps`, Exim's per-host transport options), a
//! sender's retries with other settings, and servers that choose by
//! something the scan did not vary (SNI, the client's signature
//! algorithms). A server whose cipher order is mixed gives candidates,
//! not one cipher.

mod handshake;
mod outcome;
mod predict;
mod profile;

pub use outcome::{DaneFacts, Delivery, Facts, Failure, Reached, SenderOutcome, StsFacts};
pub use predict::predict;
pub use profile::{built_in, source, Offer, OnTlsFailure, Profile, ProfileError, Verify};

/// The profiles a scan predicts for, in the order they are shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Senders {
    profiles: Vec<Profile>,
}

impl Default for Senders {
    /// The built-in profiles.
    fn default() -> Senders {
        Senders {
            profiles: built_in(),
        }
    }
}

impl Senders {
    /// No profiles: nothing is predicted.
    pub fn none() -> Senders {
        Senders {
            profiles: Vec::new(),
        }
    }

    /// The profiles, in order.
    pub fn profiles(&self) -> &[Profile] {
        &self.profiles
    }

    /// The profile with this id.
    pub fn find(&self, id: &str) -> Option<&Profile> {
        self.profiles.iter().find(|p| p.id == id)
    }

    /// Add a profile of one's own; one with the id of a profile already
    /// here replaces it in place.
    pub fn add(&mut self, profile: Profile) {
        match self.profiles.iter_mut().find(|p| p.id == profile.id) {
            Some(slot) => *slot = profile,
            None => self.profiles.push(profile),
        }
    }

    /// Keep only the profiles `ids` names, in that order (`all` keeps
    /// every one). An unknown id is an error naming it and the known ones.
    pub fn select(&mut self, ids: &[&str]) -> Result<(), String> {
        if ids.iter().any(|id| id.eq_ignore_ascii_case("all")) {
            return Ok(());
        }
        let mut chosen = Vec::with_capacity(ids.len());
        for id in ids {
            let Some(p) = self.profiles.iter().find(|p| p.id == *id) else {
                let known: Vec<&str> = self.profiles.iter().map(|p| p.id.as_str()).collect();
                return Err(format!(
                    "unknown sender profile {id:?} (known: {}, or all)",
                    known.join(", ")
                ));
            };
            if !chosen.iter().any(|c: &Profile| c.id == p.id) {
                chosen.push(p.clone());
            }
        }
        self.profiles = chosen;
        Ok(())
    }

    /// Every profile's outcome for one address.
    pub fn predict(&self, facts: &Facts<'_>) -> Vec<SenderOutcome> {
        self.profiles.iter().map(|p| predict(facts, p)).collect()
    }
}

#[cfg(test)]
mod tests;
