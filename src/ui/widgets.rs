//! The few widgets every view shares: an avatar, an unread badge, a coloured button and a
//! two-line list row. Each gives AccessKit a name, so tests and screen readers find it.

use std::sync::Arc;

use egui::{Color32, FontId, Galley, Response, RichText, Role, Sense, WidgetInfo};

use super::state::AvatarPicture;
use super::theme;

/// The letter an avatar shows: the first letter or digit of `name`, upper-cased.
pub fn initial(name: &str) -> String {
    // An address shows its user's initial, not its scheme's (`sip:dave@…` is D).
    let name = ["sip:", "sips:", "tel:"]
        .iter()
        .find_map(|scheme| {
            name.get(..scheme.len())
                .filter(|head| head.eq_ignore_ascii_case(scheme))
                .map(|_| &name[scheme.len()..])
        })
        .unwrap_or(name);
    name.chars()
        .find(|ch| ch.is_alphanumeric())
        .map(|ch| ch.to_uppercase().collect())
        .unwrap_or_else(|| "?".to_owned())
}

/// A round avatar of `size` points: the profile picture when there is one, else `name`'s
/// initial in `name`'s colour.
pub fn avatar_ui(
    ui: &mut egui::Ui,
    name: &str,
    picture: Option<&AvatarPicture>,
    size: f32,
) -> Response {
    let (rect, response) = ui.allocate_exact_size(egui::vec2(size, size), Sense::hover());
    paint_avatar(ui, rect.center(), name, picture, size);
    response
}

fn paint_avatar(
    ui: &egui::Ui,
    center: egui::Pos2,
    name: &str,
    picture: Option<&AvatarPicture>,
    size: f32,
) {
    let painter = ui.painter();
    // The initials stay under the picture while egui's loader decodes it (one frame), and
    // stand in for it if it cannot be decoded.
    painter.circle_filled(center, size / 2.0, theme::avatar_fill(name));
    painter.text(
        center,
        egui::Align2::CENTER_CENTER,
        initial(name),
        FontId::proportional(size * 0.45),
        theme::ON_COLOUR,
    );
    if let Some(picture) = picture {
        let rect = egui::Rect::from_center_size(center, egui::vec2(size, size));
        let image = egui::Image::from_bytes(
            picture.uri(),
            egui::load::Bytes::Shared(Arc::clone(&picture.bytes)),
        )
        .corner_radius(size / 2.0)
        .show_loading_spinner(false);
        image.paint_at(ui, rect);
    }
}

/// A filled, rounded button in `fill` with white text (Answer in green, Decline in red).
pub fn filled_button(text: impl Into<String>, fill: Color32) -> egui::Button<'static> {
    egui::Button::new(RichText::new(text.into()).color(theme::ON_COLOUR).strong())
        .fill(fill)
        .corner_radius(theme::CORNER)
}

/// One line of `text`, cut with an ellipsis at `width`.
fn one_line(ui: &egui::Ui, text: &str, font: FontId, colour: Color32, width: f32) -> Arc<Galley> {
    let mut job = egui::text::LayoutJob::simple_singleline(text.to_owned(), font, colour);
    job.wrap = egui::text::TextWrapping::truncate_at_width(width.max(1.0));
    ui.painter().layout_job(job)
}

/// What a list row shows.
#[derive(Debug, Clone, Default)]
pub struct ListRow<'a> {
    /// Name the avatar is drawn from.
    pub avatar: &'a str,
    /// The profile picture the avatar shows, if any.
    pub picture: Option<&'a AvatarPicture>,
    /// First line, strong; also the row's accessible name.
    pub title: &'a str,
    /// Second line, weak (a preview, a state).
    pub subtitle: &'a str,
    /// Top right, small (a time).
    pub corner: &'a str,
    /// Unread count drawn as a badge when above zero.
    pub badge: u32,
    /// The subtitle in this colour instead of the weak one (a missed call in red).
    pub subtitle_colour: Option<Color32>,
    /// Space kept free on the right for buttons the caller adds over the row.
    pub reserved_right: f32,
}

/// A clickable two-line row with an avatar: the sidebar's conversations, contacts and calls.
pub fn list_row_ui(ui: &mut egui::Ui, row: &ListRow<'_>, selected: bool) -> Response {
    let width = ui.available_width();
    let (rect, response) =
        ui.allocate_exact_size(egui::vec2(width, theme::LIST_ROW_HEIGHT), Sense::click());
    response.widget_info(|| WidgetInfo::selected(Role::Button, true, selected, row.title));
    if !ui.is_rect_visible(rect) {
        return response;
    }
    let visuals = ui.visuals();
    let fill = if selected {
        Some(visuals.selection.bg_fill.gamma_multiply(0.6))
    } else if response.hovered() {
        Some(visuals.widgets.hovered.weak_bg_fill)
    } else {
        None
    };
    if let Some(fill) = fill {
        ui.painter().rect_filled(rect, theme::CORNER, fill);
    }
    let avatar_center = egui::pos2(
        rect.left() + theme::SPACE_S + theme::AVATAR_ROW / 2.0,
        rect.center().y,
    );
    paint_avatar(
        ui,
        avatar_center,
        row.avatar,
        row.picture,
        theme::AVATAR_ROW,
    );
    let text_left = rect.left() + theme::AVATAR_ROW + theme::SPACE_M + theme::SPACE_S;
    let right = rect.right() - theme::SPACE_S - row.reserved_right;
    let strong = visuals.strong_text_color();
    let weak = visuals.weak_text_color();
    let corner = one_line(ui, row.corner, FontId::proportional(11.0), weak, 80.0);
    let corner_width = if row.corner.is_empty() {
        0.0
    } else {
        corner.size().x + theme::SPACE_M
    };
    let title = one_line(
        ui,
        row.title,
        FontId::proportional(14.0),
        strong,
        right - text_left - corner_width,
    );
    let top = rect.top() + 5.0;
    ui.painter()
        .galley(egui::pos2(text_left, top), title, strong);
    if !row.corner.is_empty() {
        ui.painter()
            .galley(egui::pos2(right - corner.size().x, top + 2.0), corner, weak);
    }
    let badge_width = if row.badge > 0 {
        paint_badge(ui, egui::pos2(right, rect.bottom() - 12.0), row.badge)
    } else {
        0.0
    };
    let subtitle_colour = row.subtitle_colour.unwrap_or(weak);
    let subtitle = one_line(
        ui,
        row.subtitle,
        FontId::proportional(12.0),
        subtitle_colour,
        right - text_left - badge_width,
    );
    ui.painter().galley(
        egui::pos2(text_left, rect.top() + 24.0),
        subtitle,
        subtitle_colour,
    );
    response
}

/// A round unread badge whose right edge is at `right_center`; returns the width it took.
fn paint_badge(ui: &egui::Ui, right_center: egui::Pos2, count: u32) -> f32 {
    let text = if count > 99 {
        "99+".to_owned()
    } else {
        count.to_string()
    };
    let galley = ui
        .painter()
        .layout_no_wrap(text, FontId::proportional(11.0), theme::ON_COLOUR);
    let width = (galley.size().x + 10.0).max(18.0);
    let rect = egui::Rect::from_center_size(
        egui::pos2(right_center.x - width / 2.0, right_center.y),
        egui::vec2(width, 18.0),
    );
    ui.painter().rect_filled(rect, 9.0, theme::ACCENT);
    ui.painter().galley(
        rect.center() - galley.size() / 2.0,
        galley,
        theme::ON_COLOUR,
    );
    width + theme::SPACE_S
}

/// A badge on its own in a layout (a tab's unread total).
pub fn badge_ui(ui: &mut egui::Ui, count: u32) {
    if count == 0 {
        return;
    }
    let (rect, _) = ui.allocate_exact_size(egui::vec2(26.0, 18.0), Sense::hover());
    paint_badge(ui, egui::pos2(rect.right(), rect.center().y), count);
}

/// `icon` when the fonts can draw it (an emoji needs the fallback font fontconfig found),
/// else `fallback`: a machine without an emoji font shows words, not boxes.
pub fn icon_or(ui: &egui::Ui, icon: &str, fallback: &str) -> String {
    let font = egui::TextStyle::Body.resolve(ui.style());
    if ui.fonts_mut(|fonts| fonts.has_glyphs(&font, icon)) {
        icon.to_owned()
    } else {
        fallback.to_owned()
    }
}

/// A word on a coloured pill ("Auto-answer"): a state that must not be missed.
pub fn tag_ui(ui: &mut egui::Ui, text: &str, fill: egui::Color32) -> Response {
    let galley = ui.painter().layout_no_wrap(
        text.to_owned(),
        egui::TextStyle::Small.resolve(ui.style()),
        theme::ON_COLOUR,
    );
    let padding = egui::vec2(6.0, 2.0);
    let (rect, response) = ui.allocate_exact_size(galley.size() + 2.0 * padding, Sense::hover());
    ui.painter().rect_filled(rect, theme::CORNER, fill);
    ui.painter()
        .galley(rect.min + padding, galley, theme::ON_COLOUR);
    response.widget_info(|| WidgetInfo::labeled(Role::Label, true, text));
    response
}

/// Lays `add` out as a row centred in the width there is, wrapped when it does not fit. The
/// row is measured in one frame and centred from the next; a change of its width asks for
/// one more frame (nothing repaints while it stays the same).
pub fn centred_row<R>(
    ui: &mut egui::Ui,
    id_salt: impl egui::AsIdSalt,
    add: impl FnOnce(&mut egui::Ui) -> R,
) -> R {
    let id = ui.make_persistent_id(id_salt);
    let known: Option<f32> = ui.ctx().data(|data| data.get_temp(id));
    let pad = known.map_or(0.0, |width| ((ui.available_width() - width) / 2.0).max(0.0));
    let inner = ui.horizontal_wrapped(|ui| {
        ui.add_space(pad);
        add(ui)
    });
    let width = inner.response.rect.width() - pad;
    if known.is_none_or(|known| (known - width).abs() > 0.5) {
        ui.ctx().data_mut(|data| data.insert_temp(id, width));
        ui.ctx().request_repaint();
    }
    inner.inner
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_initial_is_the_first_letter_upper_cased_in_any_script() {
        assert_eq!(initial("bob"), "B");
        assert_eq!(initial("  émile"), "É");
        assert_eq!(initial("王小明"), "王");
        assert_eq!(initial("📞"), "?");
        assert_eq!(initial(""), "?");
        assert_eq!(initial("sip:dave@127.0.0.1:5093"), "D");
        assert_eq!(initial("SIPS:carol@example.org"), "C");
        assert_eq!(initial("tel:+1234"), "1");
        assert_eq!(initial("sipsy"), "S");
    }
}
