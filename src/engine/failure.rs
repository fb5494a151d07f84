//! Why a command failed: the English sentence `ringlet ctl` prints and logs keep, and, when
//! the engine knows the kind of failure, the problem every window says in its own language.
//! Most failures are still plain sentences (`From<String>`); those a person meets most are
//! problems.

use crate::model::{AccountId, Problem};

/// A command's failure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// In English.
    pub text: String,
    /// The same for every language, when known.
    pub problem: Option<Problem>,
}

impl From<String> for Failure {
    fn from(text: String) -> Failure {
        Failure {
            text,
            problem: None,
        }
    }
}

impl From<Problem> for Failure {
    fn from(problem: Problem) -> Failure {
        Failure {
            text: problem.english(),
            problem: Some(problem),
        }
    }
}

/// Where a failure goes on as a sentence (a caller that only reports text).
impl From<Failure> for String {
    fn from(failure: Failure) -> String {
        failure.text
    }
}

/// The account is not running here (disabled, or still starting).
pub fn offline(account: &AccountId) -> Failure {
    Problem::new("problem-account-offline", &[("account", &account.0)]).into()
}

/// There is no such account.
pub fn no_account(account: &AccountId) -> Failure {
    Problem::new("problem-no-account", &[("account", &account.0)]).into()
}

impl From<&str> for Failure {
    fn from(text: &str) -> Failure {
        text.to_owned().into()
    }
}
