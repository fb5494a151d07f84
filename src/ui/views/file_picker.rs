//! The window's own file picker: a folder's entries (folders first), a click opens a
//! folder or chooses a file, the folder can be typed, and Choose acts on the file. It
//! needs no desktop portal or toolkit, so it works the same in a kiosk, under Xvfb and on
//! any desktop. Reading a folder is one `read_dir` when it is opened, never per frame.

use std::path::{Path, PathBuf};

use crate::engine::{Command, RequestId};
use crate::i18n::I18n;
use crate::model::human_size;
use crate::ui::state::{AppState, FilePicker, PickEntry, PickPurpose};

/// Most entries listed from one folder.
const MAX_ENTRIES: usize = 5_000;

/// Opens the picker for `purpose` in the folder used last (else the home folder).
pub fn open(state: &mut AppState, purpose: PickPurpose) {
    let folder = state
        .ui
        .last_pick_folder
        .clone()
        .or_else(|| std::env::var_os("HOME").map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from("/"));
    state.ui.file_picker = Some(FilePicker {
        purpose,
        folder_typed: folder.display().to_string(),
        folder,
        entries: None,
        chosen: None,
        error: None,
    });
}

/// The command that sends or plays `path`.
fn command_for(purpose: &PickPurpose, path: PathBuf) -> Command {
    match purpose {
        PickPurpose::SendFile { account, peer } => Command::SendFile {
            request: RequestId::next(),
            account: account.clone(),
            peer: peer.clone(),
            path,
        },
        PickPurpose::PlayIntoCall(call) => Command::PlayIntoCall {
            call: *call,
            path: Some(path),
        },
        PickPurpose::ProfilePicture(account) => Command::SetPicture {
            request: RequestId::next(),
            account: account.clone(),
            path: Some(path),
        },
    }
}

/// The files dropped on the window, as commands for `purpose` (send, or play or take the
/// first).
pub fn dropped(ui: &egui::Ui, purpose: &PickPurpose) -> Vec<Command> {
    let paths: Vec<PathBuf> = ui.input(|input| {
        input
            .raw
            .dropped_files
            .iter()
            .map(|file| file.path().to_path_buf())
            .collect()
    });
    let take = match purpose {
        PickPurpose::SendFile { .. } => paths.len(),
        PickPurpose::PlayIntoCall(_) | PickPurpose::ProfilePicture(_) => 1,
    };
    paths
        .into_iter()
        .take(take)
        .map(|path| command_for(purpose, path))
        .collect()
}

/// Draws the picker while it is open; returns the command of the chosen file.
pub fn show(ui: &mut egui::Ui, state: &mut AppState, tr: &I18n) -> Vec<Command> {
    let Some(picker) = state.ui.file_picker.as_mut() else {
        return Vec::new();
    };
    if picker.entries.is_none() && picker.error.is_none() {
        match read_folder(&picker.folder) {
            Ok(mut entries) => {
                // A picture's picker shows only what can be one (and the folders).
                if matches!(picker.purpose, PickPurpose::ProfilePicture(_)) {
                    entries.retain(|entry| {
                        entry.folder || super::timeline::is_picture(Path::new(&entry.name))
                    });
                }
                picker.entries = Some(entries);
            }
            Err(error) => {
                picker.error = Some(tr.tr_args(
                    "picker-unreadable",
                    &[
                        ("folder", picker.folder.display().to_string().into()),
                        ("reason", error.to_string().into()),
                    ],
                ));
            }
        }
    }
    let mut go_to: Option<PathBuf> = None;
    let mut done = false;
    let mut commands = Vec::new();
    let title = match picker.purpose {
        PickPurpose::SendFile { .. } => tr.tr("picker-title-send"),
        PickPurpose::PlayIntoCall(_) => tr.tr("picker-title-play"),
        PickPurpose::ProfilePicture(_) => tr.tr("picker-title-picture"),
    };
    let modal = egui::Modal::new(egui::Id::unique("file-picker")).show(ui.ctx(), |ui| {
        ui.set_width(520.0_f32.min(ui.ctx().content_rect().width() - 40.0));
        ui.heading(&title);
        ui.horizontal(|ui| {
            if ui
                .add_enabled(
                    picker.folder.parent().is_some(),
                    egui::Button::new(tr.tr("picker-up")),
                )
                .clicked()
            {
                go_to = picker.folder.parent().map(Path::to_path_buf);
            }
            let label = tr.tr("picker-folder");
            let field = ui
                .add(
                    egui::TextEdit::singleline(&mut picker.folder_typed)
                        .desired_width(ui.available_width()),
                )
                .accessible_name(&label);
            if field.lost_focus() && ui.input(|input| input.key_pressed(egui::Key::Enter)) {
                go_to = Some(PathBuf::from(picker.folder_typed.trim()));
            }
        });
        if let Some(error) = &picker.error {
            ui.colored_label(ui.visuals().error_fg_color, error);
        }
        let row_height = ui.spacing().interact_size.y;
        let folder_icon = crate::ui::widgets::icon_or(ui, "📁 ", "▸ ");
        let entries = picker.entries.as_deref().unwrap_or_default();
        egui::ScrollArea::vertical()
            .max_height(320.0)
            .auto_shrink([false, true])
            .show_rows(ui, row_height, entries.len(), |ui, rows| {
                // Full-width rows, names at the left.
                ui.with_layout(egui::Layout::top_down_justified(egui::Align::LEFT), |ui| {
                    for entry in &entries[rows] {
                        let path = picker.folder.join(&entry.name);
                        let chosen = picker.chosen.as_ref() == Some(&path);
                        let text = if entry.folder {
                            format!("{folder_icon}{}", entry.name)
                        } else {
                            format!("{}  ·  {}", entry.name, human_size(entry.size))
                        };
                        let response = ui.add(
                            egui::Button::selectable(chosen, text)
                                .min_size(egui::vec2(0.0, row_height)),
                        );
                        if response.clicked() {
                            if entry.folder {
                                go_to = Some(path);
                            } else {
                                picker.chosen = Some(path);
                            }
                        }
                        if !entry.folder && response.double_clicked() {
                            done = true;
                        }
                    }
                });
            });
        if entries.is_empty() && picker.error.is_none() {
            ui.weak(tr.tr("picker-empty"));
        }
        ui.separator();
        ui.horizontal(|ui| {
            let choose = match picker.purpose {
                PickPurpose::SendFile { .. } => tr.tr("file-send"),
                PickPurpose::PlayIntoCall(_) => tr.tr("call-play"),
                PickPurpose::ProfilePicture(_) => tr.tr("account-picture-use"),
            };
            if ui
                .add_enabled(picker.chosen.is_some(), egui::Button::new(choose))
                .clicked()
            {
                done = true;
            }
            if ui.button(tr.tr("wizard-cancel")).clicked() {
                picker.chosen = None;
                done = true;
            }
        });
    });
    if modal.should_close() {
        picker.chosen = None;
        done = true;
    }
    if let Some(folder) = go_to {
        picker.folder_typed = folder.display().to_string();
        picker.folder = folder;
        picker.entries = None;
        picker.error = None;
        picker.chosen = None;
    }
    if done {
        let folder = picker.folder.clone();
        if let Some(path) = picker.chosen.take() {
            commands.push(command_for(&picker.purpose, path));
        }
        state.ui.last_pick_folder = Some(folder);
        state.ui.file_picker = None;
    }
    commands
}

/// The entries of `folder`: folders first, then files, each by name; hidden ones left out.
fn read_folder(folder: &Path) -> std::io::Result<Vec<PickEntry>> {
    let mut entries: Vec<PickEntry> = std::fs::read_dir(folder)?
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') {
                return None;
            }
            // Follows links, as a user expects a link to a folder to open.
            let meta = std::fs::metadata(entry.path()).ok()?;
            Some(PickEntry {
                name,
                folder: meta.is_dir(),
                size: meta.len(),
            })
        })
        .take(MAX_ENTRIES)
        .collect();
    entries.sort_by(|a, b| {
        b.folder
            .cmp(&a.folder)
            .then_with(|| a.name.to_lowercase().cmp(&b.name.to_lowercase()))
    });
    Ok(entries)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_folder_lists_folders_first_then_files_by_name_without_hidden_ones() {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::create_dir(tmp.path().join("photos")).unwrap();
        std::fs::write(tmp.path().join("b.txt"), b"12345").unwrap();
        std::fs::write(tmp.path().join("A.pdf"), b"1").unwrap();
        std::fs::write(tmp.path().join(".hidden"), b"").unwrap();
        let entries = read_folder(tmp.path()).unwrap();
        let names: Vec<_> = entries.iter().map(|entry| entry.name.as_str()).collect();
        assert_eq!(names, ["photos", "A.pdf", "b.txt"]);
        assert!(entries[0].folder);
        assert_eq!(entries[2].size, 5);
        assert!(read_folder(&tmp.path().join("missing")).is_err());
    }
}
