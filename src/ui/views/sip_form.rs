//! The SIP settings form, one for the wizard's SIP page and the account page: every field
//! of an account (address of record, registrar, user, password, transport, listen address,
//! outbound proxy, STUN, SRTP, codec order, DTMF, registration interval, voicemail,
//! auto-answer, TLS CA), checked before it becomes a `SipAccountConfig`.

use crate::engine::{sip_codec_ids, validate_aor};
use crate::i18n::I18n;
use crate::model::{DtmfMode, SipAccountConfig, SipTransport, SrtpPolicy};
use crate::ui::state::SipForm;

/// How the form is used: the password field means "new password" on the account page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormUse {
    /// A new account: advanced fields fold away.
    Wizard,
    /// An existing account: all fields shown; an empty password keeps the stored one.
    Edit,
}

/// A fresh form with every codec ticked in the default order.
pub fn new_form() -> SipForm {
    SipForm {
        codecs: sip_codec_ids().map(|id| (id.to_owned(), true)).collect(),
        ..SipForm::default()
    }
}

/// The form for stored settings (the password is never shown back).
pub fn form_of(config: &SipAccountConfig) -> SipForm {
    let mut codecs: Vec<(String, bool)> = if config.codecs.is_empty() {
        sip_codec_ids().map(|id| (id.to_owned(), true)).collect()
    } else {
        config
            .codecs
            .iter()
            .map(|id| (id.to_ascii_lowercase(), true))
            .collect()
    };
    for id in sip_codec_ids() {
        if !codecs.iter().any(|(known, _)| known == id) {
            codecs.push((id.to_owned(), false));
        }
    }
    SipForm {
        aor: config.aor.clone(),
        registrar: config.registrar.clone().unwrap_or_default(),
        username: config.username.clone().unwrap_or_default(),
        password: String::new(),
        transport: config.transport,
        listen: config.listen.clone().unwrap_or_default(),
        outbound_proxy: config.outbound_proxy.clone().unwrap_or_default(),
        stun: config.stun.clone().unwrap_or_default(),
        srtp: config.srtp,
        codecs,
        dtmf: config.dtmf,
        mwi: config.mwi,
        auto_answer: config.auto_answer,
        expires: config
            .register_expires
            .map(|seconds| seconds.to_string())
            .unwrap_or_default(),
        tls_ca: config.tls_ca.clone().unwrap_or_default(),
        advanced: false,
    }
}

/// The settings the form holds, or the translated reason they cannot be saved.
pub fn config_of(form: &SipForm, tr: &I18n) -> Result<SipAccountConfig, String> {
    let aor = form.aor.trim();
    if validate_aor(aor).is_err() {
        return Err(tr.tr("wizard-aor-invalid"));
    }
    let listen = optional(&form.listen);
    if let Some(listen) = &listen
        && listen.parse::<std::net::SocketAddr>().is_err()
    {
        return Err(tr.tr("sip-listen-invalid"));
    }
    let register_expires = match optional(&form.expires) {
        None => None,
        Some(text) => match text.parse::<u32>() {
            Ok(seconds) if seconds > 0 => Some(seconds),
            _ => return Err(tr.tr("sip-expires-invalid")),
        },
    };
    let enabled: Vec<String> = form
        .codecs
        .iter()
        .filter(|(_, on)| *on)
        .map(|(id, _)| id.clone())
        .collect();
    if enabled.is_empty() {
        return Err(tr.tr("sip-codecs-none"));
    }
    // The default (all, in the default order) is stored as no list, so codecs added in a
    // later version are offered too.
    let codecs = if enabled.iter().map(String::as_str).eq(sip_codec_ids()) {
        Vec::new()
    } else {
        enabled
    };
    Ok(SipAccountConfig {
        aor: aor.to_owned(),
        registrar: optional(&form.registrar),
        outbound_proxy: optional(&form.outbound_proxy),
        username: optional(&form.username),
        transport: form.transport,
        listen,
        stun: optional(&form.stun),
        auto_answer: form.auto_answer,
        srtp: form.srtp,
        codecs,
        dtmf: form.dtmf,
        register_expires,
        mwi: form.mwi,
        tls_ca: optional(&form.tls_ca),
    })
}

/// Draws the fields; true when any of them changed.
pub fn fields_ui(ui: &mut egui::Ui, form: &mut SipForm, tr: &I18n, used: FormUse) -> bool {
    let mut changed = false;
    // Both grids' labels in one column width, so that the fields line up across them.
    let labels = [
        "wizard-sip-aor",
        "wizard-sip-registrar",
        "wizard-sip-username",
        "wizard-sip-password",
        "sip-new-password",
        "wizard-sip-transport",
        "sip-listen",
        "sip-outbound-proxy",
        "sip-stun",
        "sip-srtp",
        "sip-codecs",
        "sip-dtmf",
        "sip-expires",
        "sip-voicemail",
        "sip-auto-answer",
        "sip-tls-ca",
    ];
    let font = egui::TextStyle::Body.resolve(ui.style());
    let label_width = labels
        .iter()
        .map(|key| {
            ui.painter()
                .layout_no_wrap(tr.tr(key), font.clone(), egui::Color32::WHITE)
                .size()
                .x
        })
        .fold(0.0, f32::max);
    egui::Grid::new("sip-form")
        .num_columns(2)
        .spacing([16.0, 8.0])
        .min_col_width(label_width)
        .show(ui, |ui| {
            changed |= field_ui(
                ui,
                &tr.tr("wizard-sip-aor"),
                &mut form.aor,
                "sip:alice@example.org",
            );
            changed |= field_ui(
                ui,
                &tr.tr("wizard-sip-registrar"),
                &mut form.registrar,
                "sip:example.org",
            );
            changed |= field_ui(ui, &tr.tr("wizard-sip-username"), &mut form.username, "");
            let (password_label, hint) = match used {
                FormUse::Wizard => (tr.tr("wizard-sip-password"), String::new()),
                FormUse::Edit => (tr.tr("sip-new-password"), tr.tr("sip-password-unchanged")),
            };
            changed |= text_row_ui(ui, &password_label, &mut form.password, &hint, true);
            changed |= choice_ui(
                ui,
                &tr.tr("wizard-sip-transport"),
                &mut form.transport,
                &[
                    (SipTransport::Udp, "UDP".to_owned()),
                    (SipTransport::Tcp, "TCP".to_owned()),
                    (SipTransport::Tls, "TLS".to_owned()),
                ],
            );
            changed |= field_ui(
                ui,
                &tr.tr("sip-listen"),
                &mut form.listen,
                &tr.tr("sip-listen-hint"),
            );
        });
    if used == FormUse::Wizard {
        let toggle = ui.add(egui::Button::new(tr.tr("sip-advanced")).selected(form.advanced));
        if toggle.clicked() {
            form.advanced = !form.advanced;
        }
        if !form.advanced {
            return changed;
        }
    }
    egui::Grid::new("sip-form-advanced")
        .num_columns(2)
        .spacing([16.0, 8.0])
        .min_col_width(label_width)
        .show(ui, |ui| {
            changed |= field_ui(
                ui,
                &tr.tr("sip-outbound-proxy"),
                &mut form.outbound_proxy,
                "sip:proxy.example.org",
            );
            changed |= field_ui(
                ui,
                &tr.tr("sip-stun"),
                &mut form.stun,
                "stun.example.org:3478",
            );
            changed |= choice_ui(
                ui,
                &tr.tr("sip-srtp"),
                &mut form.srtp,
                &[
                    (SrtpPolicy::Off, tr.tr("sip-srtp-off")),
                    (SrtpPolicy::Optional, tr.tr("sip-srtp-optional")),
                    (SrtpPolicy::Mandatory, tr.tr("sip-srtp-mandatory")),
                ],
            );
            // At the top of its tall row, beside the first codec (centred, it could be
            // scrolled out of sight while the codecs are in view).
            ui.with_layout(egui::Layout::top_down(egui::Align::Min), |ui| {
                ui.label(tr.tr("sip-codecs"));
            });
            changed |= codecs_ui(ui, &mut form.codecs, tr);
            ui.end_row();
            changed |= choice_ui(
                ui,
                &tr.tr("sip-dtmf"),
                &mut form.dtmf,
                &[
                    (DtmfMode::Rfc4733, "RFC 4733".to_owned()),
                    (DtmfMode::SipInfo, "SIP INFO".to_owned()),
                    (DtmfMode::InBand, tr.tr("sip-dtmf-inband")),
                ],
            );
            changed |= field_ui(ui, &tr.tr("sip-expires"), &mut form.expires, "600");
            changed |= check_ui(ui, &tr.tr("sip-voicemail"), &mut form.mwi);
            changed |= check_ui(ui, &tr.tr("sip-auto-answer"), &mut form.auto_answer);
            changed |= field_ui(
                ui,
                &tr.tr("sip-tls-ca"),
                &mut form.tls_ca,
                "/etc/ssl/my-ca.pem",
            );
        });
    changed
}

/// The codecs in order, each with a tick and buttons to move it up or down.
fn codecs_ui(ui: &mut egui::Ui, codecs: &mut [(String, bool)], tr: &I18n) -> bool {
    let mut changed = false;
    let mut swap = None;
    let count = codecs.len();
    // A grid of its own, so that the arrows line up whatever the codecs' names.
    egui::Grid::new("sip-codecs").num_columns(3).show(ui, |ui| {
        for (index, (id, on)) in codecs.iter_mut().enumerate() {
            changed |= ui.checkbox(on, id.as_str()).changed();
            let up = format!("{} {id}", tr.tr("sip-codec-up"));
            if ui
                .add_enabled(index > 0, egui::Button::new("⏶"))
                .on_hover_text(&up)
                .accessible_name(&up)
                .clicked()
            {
                swap = Some(index - 1);
            }
            let down = format!("{} {id}", tr.tr("sip-codec-down"));
            if ui
                .add_enabled(index + 1 < count, egui::Button::new("⏷"))
                .on_hover_text(&down)
                .accessible_name(&down)
                .clicked()
            {
                swap = Some(index);
            }
            ui.end_row();
        }
    });
    if let Some(index) = swap {
        codecs.swap(index, index + 1);
        changed = true;
    }
    changed
}

/// A labelled text field in a two-column grid; true when edited.
fn field_ui(ui: &mut egui::Ui, label: &str, value: &mut String, hint: &str) -> bool {
    text_row_ui(ui, label, value, hint, false)
}

/// A labelled (and so named) text or password field as one row of a two-column grid, with
/// a hint; true when edited. The wizard's fields are these rows too.
pub(super) fn text_row_ui(
    ui: &mut egui::Ui,
    label: &str,
    value: &mut String,
    hint: &str,
    password: bool,
) -> bool {
    ui.label(label);
    let changed = ui
        .add(
            egui::TextEdit::singleline(value)
                .password(password)
                .hint_text(hint)
                .desired_width(280.0),
        )
        .accessible_name(label)
        .changed();
    ui.end_row();
    changed
}

/// A labelled row of radio buttons; true when the choice changed.
fn choice_ui<T: PartialEq + Copy>(
    ui: &mut egui::Ui,
    label: &str,
    value: &mut T,
    choices: &[(T, String)],
) -> bool {
    ui.label(label);
    let mut changed = false;
    ui.horizontal(|ui| {
        for (choice, text) in choices {
            changed |= ui.radio_value(value, *choice, text).changed();
        }
    });
    ui.end_row();
    changed
}

/// A labelled checkbox; true when toggled.
fn check_ui(ui: &mut egui::Ui, label: &str, value: &mut bool) -> bool {
    ui.label(label);
    let changed = ui.checkbox(value, "").accessible_name(label).changed();
    ui.end_row();
    changed
}

/// The trimmed text, or `None` when nothing is left.
pub(super) fn optional(text: &str) -> Option<String> {
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_settings_come_back_unchanged_through_the_form() {
        let tr = I18n::new("en-US");
        let config = SipAccountConfig {
            aor: "sip:alice@example.org".into(),
            registrar: Some("sip:example.org".into()),
            outbound_proxy: Some("sip:proxy.example.org".into()),
            username: Some("alice-auth".into()),
            transport: SipTransport::Tls,
            listen: Some("0.0.0.0:5061".into()),
            stun: Some("stun.example.org:3478".into()),
            auto_answer: true,
            srtp: SrtpPolicy::Mandatory,
            codecs: vec!["pcma".into(), "opus".into()],
            dtmf: DtmfMode::SipInfo,
            register_expires: Some(300),
            mwi: true,
            tls_ca: Some("/etc/ca.pem".into()),
        };
        let form = form_of(&config);
        // Every codec is listed: the enabled ones first, in their order.
        assert_eq!(form.codecs.len(), sip_codec_ids().count());
        assert_eq!(form.codecs[0], ("pcma".to_owned(), true));
        assert_eq!(form.codecs[1], ("opus".to_owned(), true));
        assert!(!form.codecs[2].1);
        assert_eq!(config_of(&form, &tr), Ok(config));
    }

    #[test]
    fn the_default_codec_list_is_stored_as_none_and_a_reordered_one_as_its_order() {
        let tr = I18n::new("en-US");
        let mut form = new_form();
        form.aor = " sip:bob@10.0.0.2 ".into();
        let config = config_of(&form, &tr).unwrap();
        assert_eq!(config.aor, "sip:bob@10.0.0.2");
        assert!(config.codecs.is_empty());
        assert_eq!(config.registrar, None);
        form.codecs.swap(0, 1);
        let config = config_of(&form, &tr).unwrap();
        assert_eq!(config.codecs.len(), sip_codec_ids().count());
        assert_eq!(config.codecs[1], "opus");
    }

    #[test]
    fn bad_fields_are_refused_with_a_reason_the_user_can_act_on() {
        let tr = I18n::new("en-US");
        let mut form = new_form();
        form.aor = "alice".into();
        assert_eq!(config_of(&form, &tr), Err(tr.tr("wizard-aor-invalid")));
        form.aor = "sip:alice@example.org".into();
        form.listen = "localhost".into();
        assert_eq!(config_of(&form, &tr), Err(tr.tr("sip-listen-invalid")));
        form.listen.clear();
        form.expires = "ten".into();
        assert_eq!(config_of(&form, &tr), Err(tr.tr("sip-expires-invalid")));
        form.expires.clear();
        for codec in &mut form.codecs {
            codec.1 = false;
        }
        assert_eq!(config_of(&form, &tr), Err(tr.tr("sip-codecs-none")));
    }
}
