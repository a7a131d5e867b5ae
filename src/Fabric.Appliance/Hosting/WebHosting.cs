using Fabric.Boot;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.Extensions.FileProviders;

namespace Fabric.Appliance.Hosting;

/// <summary>Wires the operator web page (Razor Pages under <c>/</c>): node list, add and remove forms,
/// node pages. Every page but <c>/login</c> needs the operator cookie, which <c>/login</c> issues to
/// whoever presents the admin token.</summary>
public static class WebHosting
{
    /// <summary>The cookie scheme of the web page (separate from the API's bearer tokens).</summary>
    public const string Scheme = "FabricWeb";

    /// <summary>The policy every page but the login page requires.</summary>
    public const string OperatorPolicy = "FabricOperator";

    public const string CookieName = "fabric.web";

    /// <summary>Adds the pages, the operator cookie and the boot renderer the node pages preview with
    /// (<see cref="BootServiceCollectionExtensions.AddFabricBoot"/>; adding it twice is harmless).</summary>
    public static IServiceCollection AddFabricWeb(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddFabricBoot(configuration);
        services.AddRazorPages(options =>
        {
            options.Conventions.AuthorizeFolder("/", OperatorPolicy);
            options.Conventions.AllowAnonymousToPage("/Login");
        });
        services.AddAuthentication()
            .AddCookie(Scheme, options =>
            {
                options.LoginPath = "/login";
                options.LogoutPath = "/login";
                options.AccessDeniedPath = "/login";
                options.ExpireTimeSpan = TimeSpan.FromHours(8);
                options.SlidingExpiration = true;
                options.Cookie.Name = CookieName;
                options.Cookie.HttpOnly = true;
                options.Cookie.SameSite = SameSiteMode.Strict;
                options.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            });
        services.AddAuthorizationBuilder()
            .AddPolicy(OperatorPolicy, policy => policy
                .AddAuthenticationSchemes(Scheme)
                .RequireAuthenticatedUser());
        return services;
    }

    /// <summary>Adds the static files, authentication and the pages. Call after the API is mapped.</summary>
    public static WebApplication MapFabricWeb(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        // The page's CSS and script are embedded too, so they are served however the appliance is started
        // (from the build folder with another content root, or published).
        var embedded = new EmbeddedFileProvider(typeof(WebHosting).Assembly, "Fabric.Appliance.wwwroot");
        app.UseStaticFiles(new StaticFileOptions
        {
            FileProvider = new CompositeFileProvider(app.Environment.WebRootFileProvider, embedded),
        });
        app.UseAuthentication();
        app.UseAuthorization();
        app.MapRazorPages();
        return app;
    }
}
