//! A long list of rows of differing heights (a conversation's timeline) in a scroll area,
//! laid out only where it is seen: the rows in view and a screen above and below. Each
//! row's height is measured when it is drawn and estimated before (the mean of those
//! measured). Rows are told apart by a key the caller derives from what changes their look,
//! so a row whose key changes is measured again. Rows added above (an older page), or rows
//! above the view whose measured height differs from the estimate, move the scroll position
//! by as much, so that what is read stays where it is.

use std::collections::HashMap;

/// How near its top (points) a list scrolled up wants the rows before.
const NEAR_TOP: f32 = 300.0;

/// The measured heights of a list's rows, kept from frame to frame.
#[derive(Debug, Clone, Default)]
pub struct RowHeights {
    /// Width the rows were measured at (another width measures them again).
    width: f32,
    /// Each row's key, in order.
    keys: Vec<u64>,
    /// Each row's height with the gap after it; `None` until drawn.
    heights: Vec<Option<f32>>,
    /// Sum and count of the measured heights, for the estimate.
    measured: (f64, usize),
    /// The scroll offset after the last frame, and whether it was at the end.
    offset: f32,
    at_end: bool,
    /// The user moved up to near the top, or every row fits: rows before the first are
    /// wanted.
    wants_earlier: bool,
    /// Height to add to the scroll offset at the next frame.
    shift: f32,
}

impl RowHeights {
    /// Rows before the first are wanted: the list was scrolled up to within `NEAR_TOP` of
    /// its top (not merely shown there, as a list is before it sticks to its end), or
    /// every row fits in the view.
    pub fn wants_earlier(&self) -> bool {
        self.wants_earlier
    }

    /// Height of an unmeasured row: the mean of those measured.
    fn estimate(&self) -> f32 {
        match self.measured {
            (_, 0) => 48.0,
            (sum, count) => (sum / count as f64) as f32,
        }
    }

    fn height(&self, index: usize) -> f32 {
        self.heights
            .get(index)
            .copied()
            .flatten()
            .unwrap_or_else(|| self.estimate())
    }

    fn set(&mut self, index: usize, height: f32) {
        if let Some(slot) = self.heights.get_mut(index) {
            if let Some(old) = slot.replace(height) {
                self.measured.0 -= f64::from(old);
            } else {
                self.measured.1 += 1;
            }
            self.measured.0 += f64::from(height);
        }
    }

    /// Follows the rows now shown: a kept row keeps its height, a new or changed one is
    /// measured when drawn, and rows new above the first kept one move the view down by
    /// their height. At another width every row is measured again.
    pub fn align(&mut self, keys: Vec<u64>, width: f32) {
        if (width - self.width).abs() > 0.5 {
            self.width = width;
            self.heights = vec![None; keys.len()];
            self.measured = (0.0, 0);
            self.keys = keys;
            return;
        }
        if keys == self.keys {
            return;
        }
        let known: HashMap<u64, f32> = self
            .keys
            .iter()
            .zip(&self.heights)
            .filter_map(|(key, height)| height.map(|height| (*key, height)))
            .collect();
        let above = self
            .keys
            .first()
            .and_then(|first| keys.iter().position(|key| key == first))
            .unwrap_or(0);
        self.heights = keys.iter().map(|key| known.get(key).copied()).collect();
        self.measured = self
            .heights
            .iter()
            .flatten()
            .fold((0.0, 0), |(sum, count), height| {
                (sum + f64::from(*height), count + 1)
            });
        self.keys = keys;
        if !self.at_end {
            self.shift += (0..above).map(|index| self.height(index)).sum::<f32>();
        }
    }
}

/// Draws the rows of `heights` (aligned to `keys` first) in `scroll`, each by `row(ui,
/// index)` in a top-down `Ui` as wide as the list. Returns the scroll area's output (its
/// offset tells whether the top is near).
pub fn show(
    ui: &mut egui::Ui,
    scroll: egui::ScrollArea,
    heights: &mut RowHeights,
    keys: Vec<u64>,
    mut row: impl FnMut(&mut egui::Ui, usize),
) -> egui::scroll_area::ScrollAreaOutput<()> {
    heights.align(keys, ui.available_width());
    let mut scroll = scroll;
    if heights.shift != 0.0 {
        scroll = scroll.vertical_scroll_offset((heights.offset + heights.shift).max(0.0));
        heights.shift = 0.0;
    }
    let gap = ui.spacing().item_spacing.y;
    let output = scroll.show_viewport(ui, |ui, viewport| {
        let count = heights.keys.len();
        // One estimate for the frame (a list of 100,000 rows sums them twice).
        let estimate = heights.estimate();
        let height_of = |heights: &RowHeights, index: usize| {
            heights
                .heights
                .get(index)
                .copied()
                .flatten()
                .unwrap_or(estimate)
        };
        let total: f32 = (0..count).map(|index| height_of(heights, index)).sum();
        let (rect, _) = ui.allocate_exact_size(
            egui::vec2(ui.available_width(), total),
            egui::Sense::hover(),
        );
        // A screen above and below is laid out too, so that a scroll meets measured rows.
        let margin = viewport.height();
        let (from, to) = (viewport.min.y - margin, viewport.max.y + margin);
        let mut top = 0.0;
        let mut moved_above = 0.0;
        for index in 0..count {
            let height = height_of(heights, index);
            if top > to {
                break;
            }
            if top + height >= from {
                let place = egui::Rect::from_min_size(
                    egui::pos2(rect.left(), rect.top() + top),
                    egui::vec2(rect.width(), f32::INFINITY),
                );
                let mut child = ui.new_child(
                    egui::UiBuilder::new()
                        .id_salt(("row", heights.keys[index]))
                        .max_rect(place)
                        .layout(egui::Layout::top_down(egui::Align::Min)),
                );
                row(&mut child, index);
                let measured = child.min_rect().height() + gap;
                if (measured - height).abs() > 0.5 {
                    // A row wholly above the view: what is seen stays put.
                    if top + height <= viewport.min.y {
                        moved_above += measured - height;
                    }
                    heights.set(index, measured);
                    ui.ctx().request_repaint();
                }
            }
            top += height;
        }
        heights.shift += moved_above;
    });
    let offset = output.state.clamped_offset().y;
    let view = output.inner_rect.height();
    heights.wants_earlier =
        output.content_size.y <= view || (offset < NEAR_TOP && offset < heights.offset - 0.5);
    heights.offset = offset;
    heights.at_end = offset + view >= output.content_size.y - 1.0;
    if heights.at_end {
        // At the end, stick_to_bottom keeps the newest row in view by itself.
        heights.shift = 0.0;
    }
    output
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kept_rows_keep_their_height_new_ones_are_estimated_and_rows_above_move_the_view() {
        let mut heights = RowHeights::default();
        heights.align(vec![1, 2, 3], 300.0);
        heights.set(0, 40.0);
        heights.set(1, 60.0);
        assert_eq!(heights.height(2), 50.0, "the mean of those measured");
        // Two rows come above (an older page); the view is not at the end.
        heights.align(vec![8, 9, 1, 2, 3], 300.0);
        assert_eq!(heights.height(2), 40.0);
        assert_eq!(heights.height(3), 60.0);
        assert_eq!(heights.shift, 100.0, "two estimated rows above");
        // A row whose key changed (an edit) is measured again; at another width, all.
        heights.align(vec![8, 9, 1, 7, 3], 300.0);
        assert_eq!(heights.heights[3], None);
        assert_eq!(heights.heights[2], Some(40.0));
        heights.align(vec![8, 9, 1, 7, 3], 500.0);
        assert!(heights.heights.iter().all(Option::is_none));
    }
}
