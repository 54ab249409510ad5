async def test_register_activate_login(ident):
    account = await ident.register()
    assert account["status"] == "pending_activation"
    await ident.activate(account["account_id"])
