using Tollgate.Common;
using Tollgate.Payments.Providers;
using Tollgate.Storage;

namespace Tollgate.Payments.Ledger;

/// <summary>
/// Refunds at the provider. The refund is recorded <c>pending</c> first, in a transaction that locks the payment and
/// checks the amount against what is left of it (refunds pending count), then asked of the provider with the refund's
/// id as the idempotency key, then its outcome applied as a webhook's would be (<see cref="PaymentLedger"/>): the
/// credit note is made once, by whichever of the answer and the webhook comes first.
/// </summary>
public sealed class RefundService(Database database, PaymentProviders providers, PaymentStore store, PaymentLedger ledger, TimeProvider time)
{
    public async Task<Result<Refund>> RefundAsync(string paymentId, RefundRequest request, Actor actor, CancellationToken ct)
    {
        if (request.Amount is <= 0) return ApiError.Invalid("amount", "must be a positive number of minor units.");
        if (request.Reason is { Length: > 200 }) return ApiError.Invalid("reason", "must be at most 200 characters.");
        PaymentMode.Enter(await store.ModeOfPaymentAsync(paymentId, ct)); // refunded with the credentials it was paid with
        var pending = await database.InTransactionAsync<(Payment Payment, Refund Refund, IPaymentProvider Provider)>(async (connection, tx) =>
        {
            var payment = await store.FindPaymentAsync(tx, paymentId);
            if (payment is null) return ApiError.NotFound("payment", paymentId);
            if (payment.Status != PaymentStatus.Succeeded) return ApiError.Conflict("payment_not_refundable", $"Payment {paymentId} is {EnumText.Snake(payment.Status)}; only a succeeded payment can be refunded.");
            if (PaymentProviderNames.Parse(payment.Provider) is not { } name || providers.Find(name) is not { } provider)
                return ApiError.Conflict("payment_provider_unavailable", $"Payment {paymentId} was made through {payment.Provider}, which is not configured.");
            var left = payment.Amount - await PaymentStore.RefundingAsync(tx, payment.Id);
            var amount = request.Amount ?? left;
            if (left <= 0) return ApiError.Conflict("payment_refunded", $"Payment {paymentId} is refunded in full already.");
            if (amount > left) return ApiError.Invalid("amount", $"must be at most {left}, what is left of the payment to refund.");
            var now = time.GetUtcNow();
            var refund = new Refund
            {
                Id = Ids.New(PaymentStore.RefundPrefix, time), PaymentId = payment.Id, Provider = payment.Provider, Amount = amount, Currency = payment.Currency,
                Status = RefundStatus.Pending, Reason = request.Reason, CreatedAt = now, UpdatedAt = now,
            };
            await PaymentStore.InsertAsync(tx, refund);
            return (payment, refund, provider);
        }, ct);
        if (!pending.IsOk) return pending.Error;
        var (paid, asked, at) = pending.Value;

        RefundOutcome outcome;
        try
        {
            outcome = await at.RefundAsync(new RefundOrder(paid.ProviderPaymentId, asked.Amount == paid.Amount ? null : asked.Amount, paid.Currency, asked.Id, asked.Reason) { Asked = asked.Amount }, asked.Id, ct);
        }
        catch (PaymentProviderException e)
        {
            await database.InTransactionAsync(async (connection, tx) =>
            {
                await PaymentStore.UpdateAsync(tx, asked with { Status = RefundStatus.Failed, UpdatedAt = time.GetUtcNow() });
                return true;
            }, ct);
            return new ApiError("refund_refused", StatusCodes.Status502BadGateway, $"{paid.Provider} refused the refund: {e.Message}");
        }

        var news = new RefundReported(outcome.ProviderRefundId, paid.ProviderPaymentId, asked.Id, outcome.Status, outcome.Amount, paid.Currency, time.GetUtcNow());
        await database.InTransactionAsync(async (connection, tx) => await ledger.ApplyAsync(tx, at.Name, news, actor), ct);
        var refund = await database.InTransactionAsync((connection, tx) => store.FindRefundAsync(tx, paid.Provider, outcome.ProviderRefundId, asked.Id), ct);
        return refund!;
    }
}
