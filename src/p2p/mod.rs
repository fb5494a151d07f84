//! Serverless accounts: the identity (account key, device keys and certificates), the
//! encrypted account archive, conversation commits and their DAG, and the wire protocol
//! between devices.

pub mod archive;
pub mod callstream;
pub mod cbor_bytes;
pub mod commit;
pub mod dag;
pub mod files;
pub mod identity;
pub mod inbox;
pub mod link;
pub mod names;
pub mod network;
pub mod node;
pub mod picture;
pub mod records;
pub mod transfer;
pub mod wire;

pub use archive::{ArchiveError, ArchivePayload};
pub use identity::{AccountKey, DeviceCertificate, DeviceKey, IdentityError};
