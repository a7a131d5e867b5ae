using System.Security.Claims;
using Fabric.Appliance.Hosting;
using Fabric.Appliance.Security;
using Fabric.Appliance.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Fabric.Appliance.Pages;

/// <summary>Signs an operator in: whoever presents the admin token gets the web page's cookie.</summary>
public sealed class LoginModel(AdminToken adminToken) : PageModel
{
    [BindProperty]
    public string? Token { get; set; }

    [BindProperty(SupportsGet = true)]
    public string? ReturnUrl { get; set; }

    public string? TokenFile => adminToken.FilePath;

    public void OnGet()
    {
    }

    public async Task<IActionResult> OnPostAsync()
    {
        if (string.IsNullOrWhiteSpace(Token) || !adminToken.Matches(Token.Trim()))
        {
            ModelState.AddModelError(nameof(Token), string.IsNullOrWhiteSpace(Token) ? "enter the admin token" : "this is not the admin token");
            return Page();
        }

        var identity = new ClaimsIdentity([new Claim(ClaimTypes.Name, Actors.Admin)], WebHosting.Scheme);
        await HttpContext.SignInAsync(WebHosting.Scheme, new ClaimsPrincipal(identity));
        return LocalRedirect(Url.IsLocalUrl(ReturnUrl) ? ReturnUrl : "/");
    }

    public async Task<IActionResult> OnPostLogoutAsync()
    {
        await HttpContext.SignOutAsync(WebHosting.Scheme);
        return RedirectToPage();
    }
}
