<?php

namespace Dargah\Laravel\View;

use Dargah\Redirect;
use Illuminate\View\Component;

/**
 * <x-dargah-redirect-form :redirect="$payment->redirect" />: AtiPay's way to
 * its payment page, a form that posts itself (with a button for browsers
 * without JavaScript). A GET redirect renders as a plain link.
 */
class RedirectForm extends Component
{
    public function __construct(public Redirect $redirect, public string $button = 'Continue to the payment page')
    {
    }

    public function render()
    {
        return view('dargah::components.redirect-form');
    }
}
