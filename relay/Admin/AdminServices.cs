using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.Options;

namespace Relay.Admin;

public static class AdminServices
{
    public static IServiceCollection AddAdminSessions(this IServiceCollection services)
    {
        services.AddSingleton<AdminSessions>();
        services.AddAuthentication(AdminSessions.Scheme).AddJwtBearer(AdminSessions.Scheme, _ => { });
        services.AddSingleton<IConfigureOptions<JwtBearerOptions>>(sp =>
            new ConfigureNamedOptions<JwtBearerOptions>(AdminSessions.Scheme, o => sp.GetRequiredService<AdminSessions>().Configure(o)));
        services.AddAuthorizationBuilder().AddPolicy(AdminSessions.Scheme, p => p
            .AddAuthenticationSchemes(AdminSessions.Scheme)
            .RequireAuthenticatedUser()
            .RequireClaim(AdminSessions.ShopClaim));
        return services;
    }
}
