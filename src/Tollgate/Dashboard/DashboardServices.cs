namespace Tollgate.Dashboard;

public static class DashboardServices
{
    /// <summary>The dashboard's pages: Razor components rendered on the server (no interactive Blazor), and what gathers their data.</summary>
    public static IServiceCollection AddDashboard(this IServiceCollection services)
    {
        services.AddRazorComponents();
        services.AddSingleton<Home.DashboardHome>();
        services.AddSingleton<Customers.CustomerDirectory>();
        services.AddSingleton<Customers.CustomerStory>();
        return services;
    }
}
