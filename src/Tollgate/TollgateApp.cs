using Tollgate.Analytics;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Tollgate.Alerts;
using Tollgate.ApiKeys;
using Tollgate.Audit;
using Tollgate.Billing;
using Tollgate.Billing.Invoices;
using Tollgate.Billing.Rating;
using Tollgate.Billing.Coupons;
using Tollgate.Billing.CreditNotes;
using Tollgate.Billing.Dunning;
using Tollgate.Billing.Balances;
using Tollgate.Billing.Wallets;
using Tollgate.Billing.Runs;
using Tollgate.Billing.Taxes;
using Tollgate.Billing.Subscriptions;
using Tollgate.Billing.TestClocks;
using Tollgate.Catalog;
using Tollgate.Common;
using Tollgate.Customers;
using Tollgate.Dashboard;
using Tollgate.Entitlements;
using Tollgate.Entitlements.Grants;
using Tollgate.Gateway;
using Tollgate.Gateway.Admin;
using Tollgate.Idempotency;
using Tollgate.Limits;
using Tollgate.Metering;
using Tollgate.Metering.Queries;
using Tollgate.Operations;
using Tollgate.Payments;
using Tollgate.Operators;
using Tollgate.Payments.Providers.Test;
using Tollgate.Portal;
using Tollgate.Storage;
using Tollgate.Web;
using Tollgate.Webhooks;

namespace Tollgate;

/// <summary>Composes the one deployable: every feature's services and endpoints.</summary>
public static class TollgateApp
{
    public const string DefaultUrl = "http://localhost:8080";

    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args });
        builder.Configuration.AddEnvironmentVariables("TOLLGATE_");
        if (string.IsNullOrEmpty(builder.Configuration["urls"])) builder.WebHost.UseUrls(DefaultUrl);

        var services = builder.Services;
        services.TryAddSingleton(TimeProvider.System);
        services.AddProblemDetails();
        services.Configure<JsonOptions>(o => ApiJson.Configure(o.SerializerOptions));
        services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        services.AddStorage(builder.Configuration);
        services.AddSingleton<AuditLog>();
        services.AddApiKeys(builder.Configuration);
        services.AddCustomers();
        services.AddCatalog();
        services.AddGateway(builder.Configuration);
        services.AddMetering(builder.Configuration);
        services.AddEntitlements();
        services.AddBilling(builder.Configuration);
        services.AddPayments(builder.Configuration);
        services.AddLimits();
        services.AddAlerts(builder.Configuration);
        services.AddWebhooks(builder.Configuration);
        services.AddAnalytics(builder.Configuration);
        services.AddOperators(builder.Configuration);
        services.AddDashboard();
        services.AddPortal(builder.Configuration);
        services.AddIdempotency();
        services.AddOperations();
        services.AddTollgateOpenApi();
        configure?.Invoke(builder);

        var app = builder.Build();
        app.UseMiddleware<RequestIds>();
        app.UseExceptionHandler();
        app.UseStatusCodePages(ErrorHandling.WriteStatusAsync);
        app.UseMiddleware<ParameterText>();
        app.UseWhen(
            c => c.Request.Path.StartsWithSegments("/api"),
            api => api.UseMiddleware<ApiKeyAuthentication>().UseMiddleware<PermissionEnforcement>().UseMiddleware<IdempotencyMiddleware>());

        app.UseWhen(
            c => c.Request.Path.StartsWithSegments("/dashboard"),
            pages => pages.UsePageHeaders().UseMiddleware<Tollgate.Operators.OperatorGate>());
        app.UseWhen(
            c => c.Request.Path.StartsWithSegments("/portal"),
            pages => pages.UsePageHeaders().UseMiddleware<Tollgate.Portal.PortalGate>());

        app.MapGet("/", () => TypedResults.Ok(new { name = "Tollgate", docs = "/docs", openapi = "/openapi/v1.json", health = "/health/ready" }))
            .ExcludeFromDescription();
        app.MapOperations();
        app.MapTollgateDocs();
        app.MapGatewayEndpoints();
        app.MapPaymentWebhooks();
        app.MapTestProviderPages();
        app.MapWebAssets();
        app.MapDashboard();
        app.MapPortal();
        app.MapGroup("/api/v1")
            .MapCustomerEndpoints()
            .MapApiKeyEndpoints()
            .MapCatalogEndpoints()
            .MapAuditEndpoints()
            .MapUsageRecordEndpoints()
            .MapGatewayAdminEndpoints()
            .MapEventEndpoints()
            .MapUsageEndpoints()
            .MapEntitlementEndpoints()
            .MapLimitEndpoints()
            .MapGrantEndpoints()
            .MapAlertEndpoints()
            .MapWebhookEndpoints()
            .MapAnalyticsEndpoints()
            .MapPricingEndpoints()
            .MapSubscriptionEndpoints()
            .MapInvoiceEndpoints()
            .MapInvoiceRunEndpoints()
            .MapTaxRateEndpoints()
            .MapCouponEndpoints()
            .MapCreditNoteEndpoints()
            .MapWalletEndpoints()
            .MapBalanceEndpoints()
            .MapDunningEndpoints()
            .MapTestClockEndpoints()
            .MapPaymentEndpoints()
            .MapPortalSessionEndpoints();
        return app;
    }
}
