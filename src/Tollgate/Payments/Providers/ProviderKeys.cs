namespace Tollgate.Payments.Providers;

/// <summary>The metadata (notes, custom data) keys Tollgate's ids travel in at every provider.</summary>
public static class MetadataKeys
{
    public const string Invoice = "tollgate_invoice_id";
    public const string Customer = "tollgate_customer_id";
    public const string Checkout = "tollgate_checkout_id";
}
