//! Group management on a P2P account's page: the groups it is in (members, who joined,
//! the admin), invitations to accept, members added or removed by the admin, leaving, and
//! a new group made from confirmed contacts.

use crate::engine::{Command, GroupAction, RequestId};
use crate::i18n::I18n;
use crate::model::{AccountId, ContactState};
use crate::ui::state::{AppState, GroupRow};

/// Draws the groups section of account `id`'s page.
pub fn section(ui: &mut egui::Ui, state: &mut AppState, tr: &I18n, id: &AccountId) -> Vec<Command> {
    let mut commands = Vec::new();
    // Confirmed contacts of this account: (account id, name).
    let contacts: Vec<(String, String)> = state
        .contacts
        .values()
        .filter(|contact| &contact.account == id && contact.state == ContactState::Confirmed)
        .map(|contact| {
            let name = super::contacts::peer_name(state, id, &contact.uri);
            (contact.uri.clone(), name)
        })
        .collect();
    // Members: our name for them, else theirs (their profile), else the start of their id.
    let names: Vec<(String, String)> = state
        .profiles
        .iter()
        .filter(|((account, _), _)| account == id)
        .map(|((_, peer), name)| (peer.clone(), name.clone()))
        .collect();
    let name_of = |member: &str| -> String {
        if member == id.0 {
            return tr.tr("groups-you");
        }
        contacts
            .iter()
            .chain(&names)
            .find(|(uri, _)| uri == member)
            .map_or_else(
                || super::contacts::short_address(member),
                |(_, name)| name.clone(),
            )
    };
    let form = &mut state.ui.account_form;
    let mut actions: Vec<GroupAction> = Vec::new();

    ui.add_space(12.0);
    ui.label(egui::RichText::new(tr.tr("groups-title")).strong());
    if form.groups.is_none() && form.pending_groups.is_none() {
        let request = RequestId::next();
        form.pending_groups = Some(request);
        commands.push(Command::Conversations {
            request,
            account: id.clone(),
        });
    }
    let groups = form.groups.clone().unwrap_or_default();
    if groups.is_empty() {
        ui.weak(tr.tr("groups-none"));
    }
    for group in &groups {
        let joined = group.joined.contains(&id.0);
        let admin = group.admin == id.0;
        ui.group(|ui| {
            ui.horizontal(|ui| {
                ui.label(egui::RichText::new(&group.title).strong());
                if !joined {
                    ui.weak(tr.tr("groups-invited"));
                    if ui.button(tr.tr("groups-join")).clicked() {
                        actions.push(GroupAction::Join(group.id.clone()));
                    }
                } else if ui.button(tr.tr("groups-leave")).clicked() {
                    actions.push(GroupAction::Remove(group.id.clone(), id.0.clone()));
                }
            });
            for member in &group.members {
                ui.horizontal(|ui| {
                    let mut text = name_of(member);
                    if member == &group.admin {
                        text.push_str(&format!(" · {}", tr.tr("groups-admin")));
                    }
                    if !group.joined.contains(member) {
                        text.push_str(&format!(" · {}", tr.tr("groups-not-joined")));
                    }
                    ui.label(text);
                    if admin
                        && member != &id.0
                        && ui
                            .button(tr.tr("groups-remove"))
                            .on_hover_text(name_of(member))
                            .clicked()
                    {
                        actions.push(GroupAction::Remove(group.id.clone(), member.clone()));
                    }
                });
            }
            if admin {
                let candidates: Vec<&(String, String)> = contacts
                    .iter()
                    .filter(|(uri, _)| !group.members.contains(uri))
                    .collect();
                if !candidates.is_empty() {
                    ui.horizontal(|ui| {
                        let chosen = form.group_add.entry(group.id.clone()).or_default();
                        let shown = candidates
                            .iter()
                            .find(|(uri, _)| uri == chosen)
                            .map_or_else(|| tr.tr("groups-choose"), |(_, name)| name.clone());
                        egui::ComboBox::from_id_salt(("group-add", &group.id))
                            .selected_text(shown)
                            .show_ui(ui, |ui| {
                                for (uri, name) in &candidates {
                                    ui.selectable_value(chosen, uri.clone(), name);
                                }
                            })
                            .response
                            .accessible_name(tr.tr("groups-choose"));
                        if ui
                            .add_enabled(!chosen.is_empty(), egui::Button::new(tr.tr("groups-add")))
                            .clicked()
                        {
                            actions.push(GroupAction::Add(group.id.clone(), chosen.clone()));
                            chosen.clear();
                        }
                    });
                }
            }
        });
    }

    // A new group from confirmed contacts.
    ui.add_space(6.0);
    ui.horizontal(|ui| {
        ui.add(
            egui::TextEdit::singleline(&mut form.new_group_title)
                .hint_text(tr.tr("groups-new-title"))
                .desired_width(200.0),
        )
        .accessible_name(tr.tr("groups-new-title"));
        let ready = !form.new_group_title.trim().is_empty() && !form.new_group_members.is_empty();
        if ui
            .add_enabled(ready, egui::Button::new(tr.tr("groups-create")))
            .clicked()
        {
            actions.push(GroupAction::Create {
                title: form.new_group_title.trim().to_owned(),
                members: form.new_group_members.iter().cloned().collect(),
            });
            form.new_group_title.clear();
            form.new_group_members.clear();
        }
    });
    if contacts.is_empty() {
        ui.weak(tr.tr("groups-no-contacts"));
    }
    ui.horizontal_wrapped(|ui| {
        for (uri, name) in &contacts {
            let mut on = form.new_group_members.contains(uri);
            if ui.checkbox(&mut on, name).changed() {
                if on {
                    form.new_group_members.insert(uri.clone());
                } else {
                    form.new_group_members.remove(uri);
                }
            }
        }
    });

    if !actions.is_empty() {
        for action in actions {
            commands.push(Command::Group {
                request: RequestId::next(),
                account: id.clone(),
                action,
            });
        }
        // The engine applies them in order: the list asked for next shows their effect.
        let request = RequestId::next();
        form.pending_groups = Some(request);
        commands.push(Command::Conversations {
            request,
            account: id.clone(),
        });
    }
    commands
}

/// The groups in a `Conversations` answer.
pub fn groups_of(value: &serde_json::Value) -> Vec<GroupRow> {
    let strings = |field: &serde_json::Value| -> Vec<String> {
        field
            .as_array()
            .map(|items| {
                items
                    .iter()
                    .filter_map(|item| item.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    };
    value
        .as_array()
        .map(|list| {
            list.iter()
                .filter(|item| item["kind"] == "group")
                .map(|item| GroupRow {
                    id: item["id"].as_str().unwrap_or_default().to_owned(),
                    title: item["title"].as_str().unwrap_or_default().to_owned(),
                    admin: item["admin"].as_str().unwrap_or_default().to_owned(),
                    members: strings(&item["members"]),
                    joined: strings(&item["joined"]),
                })
                .collect()
        })
        .unwrap_or_default()
}
