import pytest

from pos_core.basket import Basket
from pos_core.catalog import Catalog, Product

LOAF = Product("1001", "2000000010019", "Sourdough loaf", "bakery", 349)
MILK = Product("1002", None, "Milk 2L", "dairy", 165)


def test_rescanning_grows_the_line_and_totals_are_exact() -> None:
    basket = Basket().add(LOAF).add(MILK, 2).add(LOAF)
    assert [(line.product.sku, line.quantity) for line in basket.lines] == [("1001", 2), ("1002", 2)]
    assert basket.subtotal == 2 * 349 + 2 * 165
    assert basket.item_count == 4


def test_void_and_quantity() -> None:
    basket = Basket().add(LOAF).add(MILK)
    assert basket.void(0).lines[0].product is MILK
    assert basket.set_quantity(1, 5).subtotal == 349 + 5 * 165
    assert len(basket.set_quantity(1, 0)) == 1


def test_limits() -> None:
    with pytest.raises(ValueError):
        Basket().add(LOAF, 0)
    with pytest.raises(ValueError):
        Basket().add(LOAF, 1000)


def test_a_basket_holds_at_most_the_apis_200_lines() -> None:
    basket = Basket()
    for n in range(200):
        basket = basket.add(Product(f"{n}", None, "Item", "household", 100))
    assert basket.add(Product("0", None, "Item", "household", 100)).lines[0].quantity == 2  # a line grows
    with pytest.raises(ValueError, match="At most 200 different items in one sale"):
        basket.add(Product("new", None, "Item", "household", 100))


def test_sale_line_json_is_the_contract_shape() -> None:
    assert Basket().add(LOAF, 2).to_json() == [
        {"sku": "1001", "name": "Sourdough loaf", "category": "bakery", "quantity": 2, "unit_price": 349}
    ]


def test_catalog_lookup_by_sku_ean_and_upc(tmp_path) -> None:
    catalog = Catalog([LOAF, Product("1003", "0036000291452", "Tissues", "household", 120)], "GBP")
    assert catalog.lookup("1001") is LOAF
    assert catalog.lookup("2000000010019") is LOAF
    assert catalog.lookup("036000291452").sku == "1003"  # UPC-A read as 12 digits
    assert catalog.lookup("9999") is None


def test_catalog_csv(tmp_path) -> None:
    path = tmp_path / "products.csv"
    path.write_text("sku,ean,name,category,unit_price\n1001,2000000010019,Sourdough loaf,bakery,349\n1002,,Milk,dairy,x\n")
    from pos_core.catalog import CatalogError

    with pytest.raises(CatalogError, match="line 3"):
        Catalog.from_csv(path, "GBP")
