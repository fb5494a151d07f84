//! Serverless accounts. For now: the identity (account key, device keys and certificates)
//! and the encrypted account archive that moves an account to another device. The libp2p
//! network itself plugs in here later.

pub mod archive;
pub mod identity;

pub use archive::{ArchiveError, ArchivePayload};
pub use identity::{AccountKey, DeviceCertificate, DeviceKey, IdentityError};
