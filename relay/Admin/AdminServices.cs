using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.Options;

namespace Relay.Admin;

public static class AdminServices
{
    public static IServiceCollection AddAdminSessions(this IServiceCollection services)
    {
        services.AddSingleton<AdminSessions>();
        // No default scheme: only the admin API asks for a session (through its policy), so webhooks,
        // which carry no token, do not pass through the JWT handler at all.
        services.AddAuthentication().AddJwtBearer(AdminSessions.Scheme, _ => { });
        services.AddSingleton<IConfigureOptions<JwtBearerOptions>>(sp =>
            new ConfigureNamedOptions<JwtBearerOptions>(AdminSessions.Scheme, o => sp.GetRequiredService<AdminSessions>().Configure(o)));
        services.AddAuthorizationBuilder().AddPolicy(AdminSessions.Scheme, p => p
            .AddAuthenticationSchemes(AdminSessions.Scheme)
            .RequireAuthenticatedUser()
            .RequireClaim(AdminSessions.ShopClaim));
        return services;
    }
}
