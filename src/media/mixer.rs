//! Mixing: the sum of N streams for the local user, and mix-minus for conferences (each
//! participant hears everyone but itself), in O(N) per frame: one 32-bit total, then each
//! output is the total minus its own input, saturated to 16 bits.

/// Adds `other` into `into`, saturating.
pub fn add(into: &mut [i16], other: &[i16]) {
    for (sample, extra) in into.iter_mut().zip(other) {
        *sample = sample.saturating_add(*extra);
    }
}

/// Writes into `outputs[i]` the sum of every input but `inputs[i]`. `total` is scratch
/// space the caller lends (one 32-bit sample per frame sample).
pub fn mix_minus(inputs: &[&[i16]], outputs: &mut [Vec<i16>], total: &mut Vec<i32>) {
    let len = inputs.first().map_or(0, |input| input.len());
    total.clear();
    total.resize(len, 0);
    for input in inputs {
        for (sum, &sample) in total.iter_mut().zip(input.iter()) {
            *sum += i32::from(sample);
        }
    }
    for (output, input) in outputs.iter_mut().zip(inputs) {
        output.clear();
        output.extend(
            total
                .iter()
                .zip(input.iter())
                .map(|(&sum, &own)| (sum - i32::from(own)).clamp(-32_768, 32_767) as i16),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_hears_the_others_but_not_itself() {
        let a = [100i16, -5];
        let b = [10i16, 30_000];
        let c = [1i16, 30_000];
        let mut outputs = vec![Vec::new(); 3];
        let mut total = Vec::new();
        mix_minus(&[&a, &b, &c], &mut outputs, &mut total);
        assert_eq!(outputs[0], [11, 32_767], "saturated, not wrapped");
        assert_eq!(outputs[1], [101, 29_995]);
        assert_eq!(outputs[2], [110, 29_995]);
        let mut into = [32_000i16, -32_000];
        add(&mut into, &[1_000, -1_000]);
        assert_eq!(into, [32_767, -32_768]);
    }
}
