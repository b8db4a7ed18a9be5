using System.Data.Common;
using Tollgate.Common;

namespace Tollgate.Billing.Invoices;

/// <summary>
/// A rule a feature built on invoices sets on voiding one, so that invoices need not know it: checked in the voiding
/// transaction before the invoice is locked (billing locks a subscription before its invoices), it may lock what it
/// reads, and refuse with the error the caller gets.
/// </summary>
public interface IInvoiceVoidRule
{
    Task<ApiError?> RefusesAsync(DbTransaction tx, Invoice invoice);
}
