//! A call on one device shows on the account's other devices ("in a call with Bob on
//! laptop"), as Jami's users ask: each device tells its own account's online devices when
//! a call of its starts and ends, a device that comes online hears of the calls already
//! going, and a device that goes takes its calls off the others' screens.

use libp2p::PeerId;

use super::*;
use crate::p2p::wire::Request;

impl EngineCore {
    /// Tells our other online devices that this one is in a call with `peer`, or no longer.
    pub(in crate::engine) fn tell_own_devices_of_call(
        &mut self,
        id: &AccountId,
        peer: &str,
        active: bool,
    ) {
        let Some(account) = self.p2p.get_mut(id) else {
            return;
        };
        let own: Vec<PeerId> = account
            .online
            .iter()
            .filter(|(_, member)| *member == id)
            .map(|(device, _)| *device)
            .collect();
        for device in own {
            let peer = peer.to_owned();
            let request = Request::CallElsewhere { peer, active };
            account.send(device, request, Outstanding::Plain);
        }
    }

    /// A device of ours came online: it hears of each call this one is in.
    pub(super) fn tell_device_of_calls(&mut self, id: &AccountId, device: PeerId) {
        let peers = self.peers_in_calls(id);
        let Some(account) = self.p2p.get_mut(id) else {
            return;
        };
        for peer in peers {
            let request = Request::CallElsewhere { peer, active: true };
            account.send(device, request, Outstanding::Plain);
        }
    }

    /// A device of ours says it is in a call with `peer`, or no longer.
    pub(super) fn on_call_elsewhere(
        &mut self,
        id: &AccountId,
        device: PeerId,
        peer: String,
        active: bool,
    ) {
        let Some(account) = self.p2p.get_mut(id) else {
            return;
        };
        if account.calls.set_elsewhere(device, peer.clone(), active) {
            self.report_call_elsewhere(id, device, peer, active);
        }
    }

    /// A device of ours went: the calls it was in are no longer shown.
    pub(super) fn forget_calls_elsewhere(&mut self, id: &AccountId, device: PeerId) {
        let Some(account) = self.p2p.get_mut(id) else {
            return;
        };
        for peer in account.calls.forget_elsewhere(device) {
            self.report_call_elsewhere(id, device, peer, false);
        }
    }

    fn report_call_elsewhere(&self, id: &AccountId, device: PeerId, peer: String, active: bool) {
        let device_id = device.to_string();
        let name = self
            .accounts
            .get(id)
            .and_then(|info| match &info.details {
                crate::model::AccountDetails::P2p { devices, .. } => devices
                    .iter()
                    .find(|known| known.device_id == device_id)
                    .map(|known| known.name.clone()),
                crate::model::AccountDetails::Sip(_) => None,
            })
            .unwrap_or(device_id);
        self.events.emit(Event::CallElsewhere {
            account: id.clone(),
            device: name,
            peer,
            active,
        });
    }
}
