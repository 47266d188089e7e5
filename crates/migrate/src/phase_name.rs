//! The names of the owner phases: a leaf module, written in the journal and used by the
//! governance module.

use std::fmt;

/// An owner phase.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum PhaseName {
    /// Before the imports: pause V1, move the funds, grant the migrator its role.
    Open,
    /// After a verification that passed: finalize, revoke the migrator's role.
    Close,
    /// `molt rollback`: return the funds, unpause V1, revoke the migrator's role.
    Rollback,
}

impl PhaseName {
    /// The forward phases, in the order they execute (a rollback is not one of them).
    pub const ALL: [Self; 2] = [Self::Open, Self::Close];

    /// `open` or `close`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Close => "close",
            Self::Rollback => "rollback",
        }
    }
}

impl fmt::Display for PhaseName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
