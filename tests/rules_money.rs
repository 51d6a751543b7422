//! Money rules the property tests did not pin down on their own, found by
//! mutation testing (`cargo mutants`): the shift's cash variance.

use downtime_billing::money::Money;

fn m(s: &str) -> Money {
    Money::parse(s).unwrap()
}

/// Break it catches (surviving mutants of `Money::variance`): the variance
/// returned as zero, or as counted + expected instead of counted −
/// expected.
#[test]
fn the_cash_variance_is_counted_less_expected_with_its_sign() {
    assert_eq!(
        Money::variance(m("1000.00"), m("990.50")).to_string(),
        "9.50"
    );
    assert_eq!(
        Money::variance(m("980.00"), m("990.50")).to_string(),
        "-10.50"
    );
    assert!(Money::variance(m("990.50"), m("990.50")).is_zero());
    assert!(Money::variance(m("0.00"), m("0.01")).is_negative());
}

/// Break it catches (surviving mutants of `Quantity::parse`): the ceiling
/// test `> MAX_QUANTITY` turned into `>=` (100,000 itself refused) or `==`
/// (anything above 100,000 accepted).
#[test]
fn a_quantity_may_reach_the_ceiling_and_not_pass_it() {
    use downtime_billing::money::{MAX_QUANTITY, Quantity};
    assert_eq!(MAX_QUANTITY.to_string(), "100000");
    assert!(Quantity::parse("100000").is_ok());
    assert!(Quantity::parse("99999.99").is_ok());
    for over in ["100000.01", "100001", "250000"] {
        assert!(Quantity::parse(over).is_err(), "{over} accepted");
    }
}

/// Break it catches (surviving mutants of `Quantity::is_whole`): always
/// true or always false.
#[test]
fn whole_quantities_are_told_from_fractions() {
    use downtime_billing::money::Quantity;
    assert!(Quantity::parse("2").unwrap().is_whole());
    assert!(Quantity::parse("2.00").unwrap().is_whole());
    assert!(!Quantity::parse("2.5").unwrap().is_whole());
    assert!(!Quantity::parse("0.01").unwrap().is_whole());
}
